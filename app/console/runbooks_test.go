package console

import (
	"reflect"
	"testing"

	"halochat/app/flow"
)

func TestRunbookOutputsTextRoundTrips(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       []flow.RunbookOutput
		bad        bool
	}{
		{name: "empty", text: " \n", want: []flow.RunbookOutput{}},
		{name: "two lines", text: "data.tier tier text\n\nitems[0].open openTickets number\n",
			want: []flow.RunbookOutput{{Path: "data.tier", Variable: "tier", Type: "text"}, {Path: "items[0].open", Variable: "openTickets", Type: "number"}}},
		{name: "a key with a space", text: "data.first name  first   text",
			want: []flow.RunbookOutput{{Path: "data.first name", Variable: "first", Type: "text"}}},
		{name: "no type", text: "data.tier tier", bad: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOutputs(tt.text)
			if (err != nil) != tt.bad || (!tt.bad && !reflect.DeepEqual(got, tt.want)) {
				t.Fatalf("parseOutputs(%q) = %+v, %v; want %+v (error: %v)", tt.text, got, err, tt.want, tt.bad)
			}
			if tt.bad {
				return
			}
			again, err := parseOutputs(formatOutputs(got))
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("formatOutputs then parseOutputs = %+v, %v; want %+v", again, err, got)
			}
		})
	}
}
