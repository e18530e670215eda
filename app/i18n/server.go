package i18n

import (
	"fmt"
	"strconv"
	"strings"
)

// ServerKey names a text only the server writes: the mails it sends and
// the refusals it answers a visitor with. They are tables of their own,
// which no widget code reads, so the Go linker leaves them out of the
// widget's wasm (the widget shows the service's refusal as it comes).
type ServerKey uint16

// The server's texts.
const (
	// The transcript a visitor asks for by mail.
	MailTranscriptSubject ServerKey = iota // %s: the profile's name
	MailTranscriptIntro                    // %s: the profile's name
	MailFilesLinked                        // %s: the day and time (UTC) the links stop working
	MailFilesInWindow                      // when the mail carries no links
	MailVisitor                            // who wrote: the visitor (the mail's reader)
	MailBot
	MailSystem
	MailAgent // an agent with no name
	MailFile  // %s: the file's name; %s: its size

	// The notification of a new ticket to a profile's address.
	MailNotifySubject     // %d: the ticket's number; %s: its summary
	MailNotifyFromChat    // %q: the profile's name
	MailNotifyFromOffline // %q: the profile's name
	MailTicket            // the labels of the ticket's lines
	MailSummary
	MailChat
	MailConsole

	// Refusals of what a visitor sent.
	RefuseTooLarge // %s: the limit
	RefuseType     // %s: the type refused; %s: the kinds allowed
	RefuseEmpty
	KindImage // the kinds of file, as RefuseType lists them
	KindPDF
	KindText
	KindOffice
	KindZip
	RefuseTranscriptLimit // %d: the most mails a chat
	RefuseEmailRequired
	RefuseEmailInvalid // %s: the address
	RefuseEmailTooLong // %d: the most characters
	RefuseNameLine
	RefuseNameTooLong // %d: the most characters
	RefuseTextRequired
	RefuseTextTooLong // %d: the most characters
	RefuseTextControl
	RefuseScore          // %d: the lowest score; %d: the highest
	RefuseCommentInvalid //
	RefuseCommentTooLong // %d: its length; %d: the most characters
	RefuseRatingLate     // %d: minutes
	RefuseRatingOff
	RefuseRatingOpen
	SizeBytes // %d: bytes
	SizeKiB   // %d: KiB
	SizeMiB   // %s: MiB, written with the language's decimal mark

	// ServerKeyCount is the number of server keys (not a key).
	ServerKeyCount
)

// S is key's text in l (English for a language outside the catalogue).
func S(l Lang, key ServerKey) string {
	t := serverTableOf(l)
	if t == nil || t[key] == "" {
		t = &serverEn
	}
	return t[key]
}

// SF is key's text in l formatted with args (fmt.Sprintf).
func SF(l Lang, key ServerKey, args ...any) string {
	return fmt.Sprintf(S(l, key), args...)
}

func serverTableOf(l Lang) *[ServerKeyCount]string {
	switch l {
	case English:
		return &serverEn
	case German:
		return &serverDe
	case French:
		return &serverFr
	case Spanish:
		return &serverEs
	case Portuguese:
		return &serverPt
	case Dutch:
		return &serverNl
	case Arabic:
		return &serverAr
	}
	return nil
}

// Size writes n bytes in l as people read it: "10 MiB", "1,5 Mio",
// "512 KiB", "300 bytes" (whole KiB and MiB without decimals).
func Size(l Lang, n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return SF(l, SizeMiB, strconv.FormatInt(n>>20, 10))
	case n >= 1<<20:
		num := strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64)
		if l != English {
			num = strings.Replace(num, ".", ",", 1)
		}
		return SF(l, SizeMiB, num)
	case n >= 1<<10 && n%(1<<10) == 0:
		return SF(l, SizeKiB, n>>10)
	}
	return SF(l, SizeBytes, n)
}

// Kinds lists the kinds of file (protocol.Kind* names) in l: "images,
// PDF, text files".
func Kinds(l Lang, kinds []string) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k
		switch k {
		case "image":
			names[i] = S(l, KindImage)
		case "pdf":
			names[i] = S(l, KindPDF)
		case "text":
			names[i] = S(l, KindText)
		case "office":
			names[i] = S(l, KindOffice)
		case "zip":
			names[i] = S(l, KindZip)
		}
	}
	sep := ", "
	if l == Arabic {
		sep = "، "
	}
	return strings.Join(names, sep)
}
