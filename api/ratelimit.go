package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/sportello/sportello/domain"
)

// RateLimits are the API's limits on /v1 requests; a zero limit is no limit. Both are token
// buckets read on the service clock.
type RateLimits struct {
	// PerKey is how many requests per second one API key may make in the long run, and Burst
	// how many it may make at once.
	PerKey float64
	Burst  int
	// AuthFailures is how many requests with a wrong, unknown, revoked or expired token one
	// client address may make per minute (and at once). Past it, such requests answer 429
	// instead of 401 until the budget refills; a valid key from the same address still passes,
	// so that one careless or hostile client behind a shared address does not lock the others
	// out. Requests without a token do not count. The address is the connection's (RemoteAddr):
	// X-Forwarded-For is not trusted.
	AuthFailures int
}

// maxBuckets bounds the memory of a limiter: past it, buckets that are full again (idle) are
// dropped, and if none is, the limiter starts afresh.
const maxBuckets = 50000

// sweepEvery is how often a limiter drops its idle buckets.
const sweepEvery = time.Minute

// buckets holds one token bucket per key (an API key id, a client address).
type buckets struct {
	limit rate.Limit
	burst int

	mu    sync.Mutex
	m     map[string]*rate.Limiter
	swept time.Time
}

func newBuckets(limit rate.Limit, burst int) *buckets {
	return &buckets{limit: limit, burst: burst, m: map[string]*rate.Limiter{}}
}

// bucket returns key's bucket, creating a full one; create false returns nil for an unknown
// key.
func (b *buckets) bucket(key string, now time.Time, create bool) *rate.Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l, ok := b.m[key]; ok || !create {
		return l
	}
	if len(b.m) >= maxBuckets || now.Sub(b.swept) >= sweepEvery {
		for k, l := range b.m {
			if l.TokensAt(now) >= float64(b.burst) {
				delete(b.m, k)
			}
		}
		b.swept = now
	}
	if len(b.m) >= maxBuckets {
		b.m = map[string]*rate.Limiter{}
	}
	l := rate.NewLimiter(b.limit, b.burst)
	b.m[key] = l
	return l
}

// take spends a token of key's bucket, or reports how long until one is there.
func (b *buckets) take(key string, now time.Time) (wait time.Duration, ok bool) {
	r := b.bucket(key, now, true).ReserveN(now, 1)
	if !r.OK() {
		return time.Minute, false
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

// empty reports whether key's bucket has no token left, and how long until it has one.
func (b *buckets) empty(key string, now time.Time) (wait time.Duration, empty bool) {
	l := b.bucket(key, now, false)
	if l == nil {
		return 0, false
	}
	tokens := l.TokensAt(now)
	if tokens >= 1 {
		return 0, false
	}
	return time.Duration((1 - tokens) / float64(b.limit) * float64(time.Second)), true
}

// limiters builds the buckets limits ask for; nil where a limit is off.
func limiters(limits RateLimits) (perKey, failures *buckets) {
	if limits.PerKey > 0 {
		perKey = newBuckets(rate.Limit(limits.PerKey), max(limits.Burst, 1))
	}
	if limits.AuthFailures > 0 {
		failures = newBuckets(rate.Limit(float64(limits.AuthFailures)/60), limits.AuthFailures)
	}
	return perKey, failures
}

// limitFailures counts the requests from one address whose token authenticate refuses (401),
// and once the address is over its budget answers them 429 instead. It runs before
// authenticate; a valid token passes even then.
func (h *handlers) limitFailures(c *gin.Context) {
	token, presented := bearerToken(c.GetHeader("Authorization"))
	if h.failures == nil || !presented {
		return
	}
	addr := c.RemoteIP()
	if wait, empty := h.failures.empty(addr, h.svc.Now()); empty {
		if _, err := h.svc.Authenticate(c.Request.Context(), token); domain.IsCode(err, domain.ECUnauthorized) {
			h.tooMany(c, wait, domain.Errorf(domain.ECTooManyRequests,
				"too many failed authentications from this address: retry later with a valid API key"))
			return
		}
	}
	c.Next()
	if c.Writer.Status() == http.StatusUnauthorized {
		h.failures.take(addr, h.svc.Now())
	}
}

// limitKeys holds each API key to its rate. It runs after authenticate.
func (h *handlers) limitKeys(c *gin.Context) {
	if h.perKey == nil {
		return
	}
	if wait, ok := h.perKey.take(principal(c).KeyID, h.svc.Now()); !ok {
		h.tooMany(c, wait, domain.Errorf(domain.ECTooManyRequests, "this API key is over its rate limit: retry later"))
	}
}

// tooMany answers 429 with Retry-After in whole seconds, at least one.
func (h *handlers) tooMany(c *gin.Context, wait time.Duration, err error) {
	c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	h.fail(c, err)
}
