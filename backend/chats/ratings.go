package chats

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// RatingWindow is how long after a chat's first rating the visitor may
// replace it.
const RatingWindow = protocol.RatingWindowMinutes * time.Minute

// Rate stores the visitor's rating of chat c (an ended chat of a profile
// that asks for ratings), replacing the chat's rating within RatingWindow
// of the first; it returns the rating stored and whether it replaced one.
// Refusals: invalid_request naming score or comment; conflict when the
// profile's ratingQuestion is off, the chat has not ended, or the window
// is over.
func (s *Service) Rate(ctx context.Context, c *store.Chat, req protocol.RatingRequest) (*protocol.ChatRating, bool, error) {
	comment, err := checkRating(req, chatLang(c))
	if err != nil {
		return nil, false, err
	}
	p, err := s.store.CachedProfile(ctx, c.ProfileID)
	if err != nil {
		return nil, false, fmt.Errorf("rate chat %s: read profile %s: %w", c.ID, c.ProfileID, err)
	}
	if p.RatingQuestion == protocol.RatingQuestionOff {
		return nil, false, &protocol.APIError{Code: protocol.CodeConflict,
			Message: i18n.S(chatLang(c), i18n.RefuseRatingOff)}
	}
	if c.Status != store.ChatEnded {
		return nil, false, &protocol.APIError{Code: protocol.CodeConflict,
			Message: i18n.S(chatLang(c), i18n.RefuseRatingOpen)}
	}
	r, err := s.store.RateChat(ctx, store.ChatRating{ChatID: c.ID, Score: int64(req.Score), Comment: comment},
		s.store.Now().Add(-RatingWindow))
	if errors.Is(err, store.ErrConflict) {
		return nil, false, &protocol.APIError{Code: protocol.CodeConflict, Field: "score",
			Message: "score: " + i18n.SF(chatLang(c), i18n.RefuseRatingLate, protocol.RatingWindowMinutes)}
	}
	if err != nil {
		return nil, false, fmt.Errorf("rate chat %s: %w", c.ID, err)
	}
	return ratingOf(r), r.Replaced(), nil
}

// checkRating checks a rating and returns its comment, trimmed. Its
// refusals name their field, then say what is wrong in l (the chat's
// language).
func checkRating(req protocol.RatingRequest, l i18n.Lang) (string, error) {
	if req.Score < protocol.MinRatingScore || req.Score > protocol.MaxRatingScore {
		return "", &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "score",
			Message: "score: " + i18n.SF(l, i18n.RefuseScore, protocol.MinRatingScore, protocol.MaxRatingScore)}
	}
	comment := strings.TrimSpace(req.Comment)
	if strings.IndexByte(comment, 0) >= 0 || !utf8.ValidString(comment) {
		return "", &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "comment",
			Message: "comment: " + i18n.S(l, i18n.RefuseCommentInvalid)}
	}
	if n := utf8.RuneCountInString(comment); n > protocol.MaxRatingComment {
		return "", &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "comment",
			Message: "comment: " + i18n.SF(l, i18n.RefuseCommentTooLong, n, protocol.MaxRatingComment)}
	}
	return comment, nil
}

// Rating returns the rating of chat id, or nil when it has none.
func (s *Service) Rating(ctx context.Context, chatID string) (*protocol.ChatRating, error) {
	r, err := s.store.ChatRating(ctx, chatID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the rating of chat %s: %w", chatID, err)
	}
	return ratingOf(r), nil
}

func ratingOf(r *store.ChatRating) *protocol.ChatRating {
	return &protocol.ChatRating{Score: int(r.Score), Comment: r.Comment, RatedAt: r.UpdatedAt.UTC().Format(time.RFC3339)}
}
