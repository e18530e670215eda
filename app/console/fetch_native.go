//go:build !js

package console

import (
	"context"
	"errors"
)

// fetch is browser-only: the server only prerenders the pages.
func fetch(context.Context, string, string, []byte) (int, []byte, error) {
	return 0, nil, errors.New("the console calls the API from the browser only")
}

func copyText(string) {}
