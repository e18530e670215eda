package webfetch

import "testing"

func TestSizeIn(t *testing.T) {
	tests := []struct {
		n     int64
		units string
		want  string
	}{
		{300, "bytes KB MB .", "300 bytes"},
		{2048, "bytes KB MB .", "2 KB"},
		{3 << 19, "bytes KB MB .", "1.5 MB"},
		{3 << 19, "octets Ko Mo ,", "1,5 Mo"},
		{2048, "octets Ko Mo ,", "2 Ko"},
		{300, "Bytes KB MB ,", "300 Bytes"},
		{3 << 19, "broken", "1.5 MB"}, // not four words: English
	}
	for _, tt := range tests {
		if got := SizeIn(tt.n, tt.units); got != tt.want {
			t.Errorf("SizeIn(%d, %q) = %q, want %q", tt.n, tt.units, got, tt.want)
		}
	}
	if got := SizeText(10 << 20); got != "10.0 MB" {
		t.Errorf("SizeText = %q", got)
	}
}
