package storage

import (
	"context"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

func gormConfig(opts Options) *gorm.Config {
	return &gorm.Config{
		Logger: sqlLogger{log: opts.Logger},
		// Every write is already an explicit transaction.
		SkipDefaultTransaction: true,
		// Open pings itself, retrying while a new SQLite file is being set up by another process.
		DisableAutomaticPing: true,
		// Driver errors are classified by errors.go, which needs the driver's own error.
		TranslateError: false,
	}
}

// sqlLogger sends gorm's statement traces to slog at debug level, without their parameters:
// those hold personal data and key hashes. Errors are not logged here: they are returned, and
// logged once by whoever handles them.
type sqlLogger struct{ log *slog.Logger }

// ParamsFilter keeps statement parameters out of the logs.
func (l sqlLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

func (l sqlLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (l sqlLogger) Info(ctx context.Context, msg string, args ...any) {
	l.debug(ctx, msg, slog.Any("args", args))
}

func (l sqlLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.debug(ctx, msg, slog.Any("args", args))
}

func (l sqlLogger) Error(ctx context.Context, msg string, args ...any) {
	l.debug(ctx, msg, slog.Any("args", args))
}

func (l sqlLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if l.log == nil || !l.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	sql, rows := fc()
	attrs := []any{slog.String("sql", sql), slog.Int64("rows", rows), slog.Duration("duration", time.Since(begin))}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	l.log.DebugContext(ctx, "sql", attrs...)
}

func (l sqlLogger) debug(ctx context.Context, msg string, attrs ...any) {
	if l.log != nil {
		l.log.DebugContext(ctx, msg, attrs...)
	}
}
