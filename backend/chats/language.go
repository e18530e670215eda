package chats

import (
	"fmt"

	"golang.org/x/text/language"

	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// Bounds of a start's languages (the browser's preferred languages).
const (
	maxLanguages   = 32
	maxLanguageTag = 64 // bytes
)

// catalogueTags are the catalogue's languages as BCP 47 tags, in the
// order of i18n.Languages (a matcher's index is an index into both).
func catalogueTags() []language.Tag {
	langs := i18n.Languages()
	tags := make([]language.Tag, len(langs))
	for i, l := range langs {
		tags[i] = language.MustParse(string(l))
	}
	return tags
}

// languages decides a new chat's language (golang.org/x/text/language's
// matcher). A profile that names a language speaks it; an auto profile
// the best of the catalogue's languages for the browser's preferred
// languages (the widget's list, then the Accept-Language header), else
// its default language.
type languages struct {
	matcher language.Matcher
	list    []i18n.Lang
}

func newLanguages() *languages {
	return &languages{matcher: language.NewMatcher(catalogueTags()), list: i18n.Languages()}
}

// checkLanguages refuses a start's language list that no browser sends:
// too many tags, or one too long.
func checkLanguages(prefs []string) error {
	if len(prefs) > maxLanguages {
		return &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "languages",
			Message: fmt.Sprintf("languages lists %d languages, more than %d", len(prefs), maxLanguages)}
	}
	for _, p := range prefs {
		if len(p) > maxLanguageTag {
			return &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "languages",
				Message: fmt.Sprintf("languages holds a tag of %d bytes, more than %d", len(p), maxLanguageTag)}
		}
	}
	return nil
}

// choose is the language of a chat of profile p for a browser that
// prefers prefs and sent acceptLanguage (either may be empty; tags that
// do not parse are skipped: they are hints).
func (ls *languages) choose(p *store.ChatProfile, prefs []string, acceptLanguage string) i18n.Lang {
	def := i18n.Lang(p.DefaultLanguage).Or(i18n.Default)
	if i18n.Valid(p.Language) {
		return i18n.Lang(p.Language)
	}
	return ls.match(prefs, acceptLanguage, def)
}

// match is the catalogue's language that best fits prefs, then
// acceptLanguage; fallback when none does.
func (ls *languages) match(prefs []string, acceptLanguage string, fallback i18n.Lang) i18n.Lang {
	var tags []language.Tag
	for _, p := range prefs {
		if t, err := language.Parse(p); err == nil {
			tags = append(tags, t)
		}
	}
	if acceptLanguage != "" {
		if at, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil {
			tags = append(tags, at...)
		}
	}
	if len(tags) == 0 {
		return fallback
	}
	_, i, conf := ls.matcher.Match(tags...)
	if conf == language.No || i < 0 || i >= len(ls.list) {
		return fallback
	}
	return ls.list[i]
}

// profileLanguage is the language of a chat of profile p with no browser
// (an API client's, an agent's): the profile's language, else its
// default.
func profileLanguage(p *store.ChatProfile) i18n.Lang {
	if i18n.Valid(p.Language) {
		return i18n.Lang(p.Language)
	}
	return i18n.Lang(p.DefaultLanguage).Or(i18n.Default)
}

// chatLang is chat c's language.
func chatLang(c *store.Chat) i18n.Lang { return i18n.Lang(c.Language).Or(i18n.Default) }
