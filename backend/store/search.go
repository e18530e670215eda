package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Search bounds. A search is a substring scan over every message of the
// chats it looks at: the bounds keep one request from costing much more
// than a page of the chat list.
const (
	// MaxSearchText is the longest search text, in characters.
	MaxSearchText = 200
	// MaxSearchWords is the most words one search may hold.
	MaxSearchWords = 8
	// MaxSearchResults is the most chats one search returns.
	MaxSearchResults int64 = 200
)

// ChatSearch selects chats for SearchChats: the chats of ChatFilter
// (its Page bounds the result, capped at MaxSearchResults) whose text
// holds every word of Text.
type ChatSearch struct {
	ChatFilter
	// Text is split into words at white space. A chat matches when each
	// word appears, as a substring and ignoring case, in one of its
	// messages or in its user's first name, last name, username, e-mail
	// or external id, or is the chat's id. Case is ignored for ASCII
	// letters on SQLite and for all letters on PostgreSQL.
	Text string
}

// SearchTextError is a search text SearchChats refuses. It wraps
// ErrInvalid; Problem says what is wrong, for the user.
type SearchTextError struct {
	Problem string
}

func (e *SearchTextError) Error() string { return "search text: " + e.Problem }

func (e *SearchTextError) Unwrap() error { return ErrInvalid }

// SearchWords splits a search text into its words, or says why it is
// not a search SearchChats runs.
func SearchWords(text string) ([]string, error) {
	switch {
	case strings.IndexByte(text, 0) >= 0:
		return nil, &SearchTextError{Problem: "it holds a NUL byte"}
	case !utf8.ValidString(text):
		return nil, &SearchTextError{Problem: "it is not valid UTF-8"}
	case utf8.RuneCountInString(text) > MaxSearchText:
		return nil, &SearchTextError{Problem: fmt.Sprintf("it is longer than %d characters", MaxSearchText)}
	}
	words := strings.Fields(text)
	switch {
	case len(words) == 0:
		return nil, &SearchTextError{Problem: "it holds no word"}
	case len(words) > MaxSearchWords:
		return nil, &SearchTextError{Problem: fmt.Sprintf("it holds %d words, more than %d", len(words), MaxSearchWords)}
	}
	return words, nil
}

// likeEscape makes s a LIKE pattern that matches s anywhere: %, _ and
// the escape character itself match only themselves.
func likeEscape(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// SearchChats returns the chats f selects, newest first (see ChatSearch).
// A text SearchWords refuses is a *SearchTextError.
func (s *Store) SearchChats(ctx context.Context, f ChatSearch) ([]Chat, error) {
	const what = "search chats"
	words, err := SearchWords(f.Text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := checkModel(what, &f.ChatFilter); err != nil {
		return nil, err
	}
	// PostgreSQL's LIKE is case-sensitive; SQLite's ignores ASCII case
	// and has no ILIKE.
	like := "LIKE"
	if s.dialect == DialectPostgres {
		like = "ILIKE"
	}
	match := `(EXISTS (SELECT 1 FROM messages AS m WHERE m.chat_id = c.id AND m.text ` + like + ` ? ESCAPE '\')` +
		` OR EXISTS (SELECT 1 FROM users AS u WHERE u.id = c.user_id AND (u.first_name ` + like + ` ? ESCAPE '\'` +
		` OR u.last_name ` + like + ` ? ESCAPE '\' OR u.username ` + like + ` ? ESCAPE '\'` +
		` OR u.email ` + like + ` ? ESCAPE '\' OR u.external_id ` + like + ` ? ESCAPE '\'))` +
		` OR c.id = ?)`
	page := f.Page
	if page.Limit <= 0 {
		page.Limit = DefaultLimit
	}
	page.Limit = min(page.Limit, MaxSearchResults)
	return list[Chat](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		q = f.where(q)
		for _, w := range words {
			p := likeEscape(w)
			q = q.Where(match, p, p, p, p, p, p, w)
		}
		return page.apply(q.OrderExpr("c.started_at DESC, c.id"))
	})
}
