package protocol

import "testing"

func TestValidColour(t *testing.T) {
	for s, want := range map[string]bool{
		"#1f6feb": true, "#FFF": true, "#ffff": true, "#11223344": true, "teal": true, "RebeccaPurple": true,
		"transparent": true,
		"":            false, "#12345": false, "#ggg": false, "1f6feb": false, "rgb(0,0,0)": false,
		"red;}body{display:none": false, "red ": false, "currentcolor": false, "inherit": false,
		"url(x)": false, "re d": false, "#fff;": false,
	} {
		if got := ValidColour(s); got != want {
			t.Errorf("ValidColour(%q) = %v, want %v", s, got, want)
		}
	}
}
