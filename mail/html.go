package mail

import (
	"strings"

	"golang.org/x/net/html"
)

// HTMLText is the readable text of an HTML body: its text without tags, scripts and styles,
// with a line break where a block ends.
func HTMLText(doc string) string {
	z := html.NewTokenizer(strings.NewReader(doc))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			// Token, not TagName: after Token the tokenizer has no tag name left to give.
			tok := z.Token()
			switch tok.Data {
			case "script", "style", "head":
				if tok.Type == html.StartTagToken {
					skip++
				}
			case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6":
				b.WriteString("\n")
			case "td", "th":
				b.WriteString(" ")
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head":
				skip = max(0, skip-1)
			case "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6":
				b.WriteString("\n")
			}
		}
	}
}
