package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/presenced/presenced/auth"
	apihttp "github.com/presenced/presenced/http"
	"github.com/presenced/presenced/persistence"
)

// createSuperuser is `manage.py createsuperuser`: it creates a staff account. The
// password comes from PRESENCED_PASSWORD, or is read from stdin (a prompt when it is a
// terminal is left to the shell: the line is read as typed).
func createSuperuser(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("presenced createsuperuser", flag.ContinueOnError)
	fs.SetOutput(stderr)
	username := fs.String("username", "", "username of the staff account")
	email := fs.String("email", "", "email address")
	db := fs.String("db", "", "database (default: PRESENCED_DB or sqlite://./data/presenced.db)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *db == "" {
		*db = getenv("PRESENCED_DB")
	}
	if *db == "" {
		*db = "sqlite://./data/presenced.db"
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "createsuperuser: "+format+"\n", a...)
		return 2
	}
	name := apihttp.NormalizeUsername(strings.TrimSpace(*username))
	if name == "" || strings.TrimSpace(*email) == "" {
		return fail("-username and -email are required")
	}
	if problem := apihttp.UsernameProblem(name); problem != "" {
		return fail("-username %q: %s", name, problem)
	}
	password := getenv("PRESENCED_PASSWORD")
	if password == "" {
		fmt.Fprint(stdout, "Password: ")
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return fail("no password: set PRESENCED_PASSWORD or type it on stdin")
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if len(password) < 8 {
		return fail("password must be at least 8 characters")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := &config{DB: *db}
	store, err := persistence.Open(ctx, cfg.DB, nil)
	if err != nil {
		return fail("database %s: %v", redactDSN(cfg.DB), err)
	}
	defer store.Close()
	h, err := auth.NewHasher(auth.DefaultBcryptCost)
	if err != nil {
		return fail("%v", err)
	}
	hash, err := h.Hash(password)
	if err != nil {
		return fail("%v", err)
	}
	u, err := store.CreateUser(ctx, persistence.NewUser{Username: name, Email: strings.TrimSpace(*email), PasswordHash: hash, IsStaff: true})
	if errors.Is(err, persistence.ErrUsernameTaken) {
		// The one it clashes with may be spelled otherwise: usernames compare by UsernameKey.
		if other, lookupErr := store.UserByUsername(ctx, name); lookupErr == nil && other.Username != name {
			return fail("a user named %q (id %d) already exists; usernames are compared without regard to case, so %q is taken",
				other.Username, other.ID, name)
		}
		return fail("a user named %q already exists", name)
	}
	if err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(stdout, "Superuser %q created (id %d).\n", u.Username, u.ID)
	return 0
}
