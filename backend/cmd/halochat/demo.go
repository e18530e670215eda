package main

import (
	"context"
	"encoding/json"
	"fmt"
	"halochat/backend/store"
	"io"
	"log/slog"

	"halochat/backend/demo"
)

func seedDemo(ctx context.Context, logger *slog.Logger, dsn string, keys keyOptions, asJSON bool, out io.Writer) error {
	st, err := openSealed(ctx, logger, dsn, keys, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := demo.Seed(ctx, st)
	if err != nil {
		return fmt.Errorf("seed the demo: %w", err)
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(out, "demo seeded\n  profile  configId=%s configKey=%s\n  agent    %s / %s\n  admin    %s / %s\n  portal   %s / %s\n  API      client_id=%s client_secret=%s\n  identity HS256 secret (kid %q) %s\n",
		res.Profile.ID, res.Profile.Key, res.Agent.Email, res.Agent.Password, res.Admin.Email, res.Admin.Password,
		res.PortalUser.Email, res.PortalUser.Password,
		res.APIClient.ClientID, res.APIClient.ClientSecret, res.Identity.KID, res.Identity.HS256Secret)
	return nil
}
