package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSearchChats(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		p := &ChatProfile{Name: "search", Access: AccessPortalAndExternal}
		must(t, s.CreateProfile(ctx, p))
		grace := &User{FirstName: "Grace", LastName: "Hopper", Email: "grace@example.test", ExternalID: "cust-7"}
		must(t, s.CreateUser(ctx, grace))

		// Chats started a minute apart, oldest first, with their messages.
		base := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		chat := func(i int, userID int64, status string, texts ...string) string {
			t.Helper()
			c := &Chat{ProfileID: p.ID, Context: ContextEmbedded, UserID: userID, Status: status}
			must(t, s.CreateChat(ctx, c, nil))
			_, err := s.db.NewUpdate().Model((*Chat)(nil)).Set("started_at = ?", base.Add(time.Duration(i)*time.Minute)).
				Where("id = ?", c.ID).Exec(ctx)
			must(t, err)
			for _, text := range texts {
				_, _, err := s.AppendMessage(ctx, Message{ChatID: c.ID, Sender: SenderVisitor, Text: text})
				must(t, err)
			}
			return c.ID
		}
		fire := chat(1, grace.ID, ChatEnded, "My printer is on fire", "Thanks, bye")
		sale := chat(2, 0, ChatLive, "The printer works", "Is 50% off_sale still on?")
		path := chat(3, 0, ChatEnded, `It is in C:\temp\printer`, "Ça marche")
		quiet := chat(4, 0, ChatBot)

		tests := []struct {
			name   string
			search ChatSearch
			want   []string // newest first
		}{
			{"a word, newest first", ChatSearch{Text: "printer"}, []string{path, sale, fire}},
			{"case is ignored", ChatSearch{Text: "PRINTER Fire"}, []string{fire}},
			{"every word, in any of the messages", ChatSearch{Text: "fire bye"}, []string{fire}},
			{"every word must be there", ChatSearch{Text: "fire sale"}, nil},
			{"a percent sign is only itself", ChatSearch{Text: "%"}, []string{sale}},
			{"an underscore is only itself", ChatSearch{Text: "_"}, []string{sale}},
			{"a pattern is text", ChatSearch{Text: "off%sale"}, nil},
			{"a backslash is only itself", ChatSearch{Text: `\temp`}, []string{path}},
			{"non-ASCII text", ChatSearch{Text: "Ça"}, []string{path}},
			{"the user's name", ChatSearch{Text: "hopper"}, []string{fire}},
			{"the user's e-mail", ChatSearch{Text: "grace@example"}, []string{fire}},
			{"the user's external id", ChatSearch{Text: "cust-7"}, []string{fire}},
			{"the chat id", ChatSearch{Text: quiet}, []string{quiet}},
			{"with a status", ChatSearch{Text: "printer", ChatFilter: ChatFilter{Status: ChatEnded}}, []string{path, fire}},
			{"with a limit", ChatSearch{Text: "printer", ChatFilter: ChatFilter{Page: Page{Limit: 2}}}, []string{path, sale}},
			{"with an offset", ChatSearch{Text: "printer", ChatFilter: ChatFilter{Page: Page{Offset: 2}}}, []string{fire}},
			{"nothing found", ChatSearch{Text: "elephant"}, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.SearchChats(ctx, tc.search)
				must(t, err)
				var ids []string
				for _, c := range got {
					ids = append(ids, c.ID)
				}
				if !slices.Equal(ids, tc.want) {
					t.Errorf("SearchChats(%+v) = %v, want %v", tc.search, ids, tc.want)
				}
			})
		}

		refused := []struct{ name, text, problem string }{
			{"empty", "", "no word"},
			{"only spaces", " \t ", "no word"},
			{"too many words", strings.Repeat("a ", MaxSearchWords+1), "more than"},
			{"too long", strings.Repeat("x", MaxSearchText+1), "longer than"},
			{"a NUL byte", "printer\x00", "NUL"},
			{"invalid UTF-8", "printer\xff", "UTF-8"},
		}
		for _, tc := range refused {
			t.Run("refuses "+tc.name, func(t *testing.T) {
				_, err := s.SearchChats(ctx, ChatSearch{Text: tc.text})
				var se *SearchTextError
				if !errors.Is(err, ErrInvalid) || !errors.As(err, &se) || !strings.Contains(se.Problem, tc.problem) {
					t.Errorf("SearchChats(%q) error = %v, want a SearchTextError about %q", tc.text, err, tc.problem)
				}
			})
		}
	})
}

func TestSearchChatsCapsTheResults(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		p := &ChatProfile{Name: "many", Access: AccessPortalAndExternal}
		must(t, s.CreateProfile(ctx, p))
		for range MaxSearchResults + 5 {
			c := &Chat{ProfileID: p.ID, Context: ContextEmbedded}
			must(t, s.CreateChat(ctx, c, nil))
			_, _, err := s.AppendMessage(ctx, Message{ChatID: c.ID, Sender: SenderVisitor, Text: "same words"})
			must(t, err)
		}
		got, err := s.SearchChats(ctx, ChatSearch{Text: "words", ChatFilter: ChatFilter{Page: Page{Limit: MaxLimit}}})
		must(t, err)
		if int64(len(got)) != MaxSearchResults {
			t.Errorf("a search with limit %d returned %d chats, want the cap %d", MaxLimit, len(got), MaxSearchResults)
		}
		got, err = s.SearchChats(ctx, ChatSearch{Text: "words"})
		must(t, err)
		if int64(len(got)) != DefaultLimit {
			t.Errorf("a search without a limit returned %d chats, want %d", len(got), DefaultLimit)
		}
	})
}
