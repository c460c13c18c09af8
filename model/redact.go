package model

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"unicode"
)

// Redacted replaces every secret RedactText finds.
const Redacted = "[REDACTED]"

// RedactOptions says what a snapshot may keep. The zero value is the safe
// default: secrets in command lines, messages and facts are replaced.
type RedactOptions struct {
	// FullCommandLines keeps processes' command lines verbatim
	// (--include-cmdlines), for when the arguments are the question. Events,
	// check evidence and facts are redacted regardless: nobody asked for the
	// environment's tokens.
	FullCommandLines bool
}

// Redaction notes recorded in Snapshot.Redaction.
const (
	RedactionDefault = "secrets in command lines, events, check evidence and facts replaced by " + Redacted + " (--include-cmdlines keeps command lines)"
	RedactionNone    = "process command lines included verbatim (--include-cmdlines); secrets in events, check evidence and facts replaced by " + Redacted
)

// redact applies opts to every text of the snapshot that can hold a
// secret, and returns the note to record. The slices it rewrites were
// copied by NewSnapshot.
func (s *Snapshot) redact(opts RedactOptions) string {
	note := RedactionNone
	if !opts.FullCommandLines {
		note = RedactionDefault
		redactProcesses(s.Processes)
		for i := range s.GPUs {
			for j := range s.GPUs[i].SlowSamples {
				redactProcesses(s.GPUs[i].SlowSamples[j].Processes)
			}
		}
	}
	for i := range s.Events {
		s.Events[i].Message = RedactText(s.Events[i].Message)
	}
	for i := range s.Checks {
		s.Checks[i].Evidence = RedactText(s.Checks[i].Evidence)
	}
	s.Facts = redactFacts(s.Facts)
	return note
}

// redactFacts applies the redaction to every string of the facts without
// knowing their shape (the checks package owns it): the facts go through
// JSON, every string value is redacted, and a value stored under a
// secret-looking key (an environment variable HF_TOKEN, say) is replaced
// whole. If the facts cannot make that trip, none are kept: a snapshot
// never carries unredacted facts by accident.
func redactFacts(f Facts) Facts {
	raw, err := json.Marshal(f)
	if err != nil {
		return Facts{Collected: f.Collected}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep 64-bit counters exact
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return Facts{Collected: f.Collected}
	}
	tree, changed := redactTree(tree, "")
	if !changed {
		return f
	}
	out, err := json.Marshal(tree)
	var redacted Facts
	if err != nil || json.Unmarshal(out, &redacted) != nil {
		return Facts{Collected: f.Collected}
	}
	return redacted
}

// redactTree redacts the strings of a decoded JSON value; key is the
// object key the value sits under ("" at the top and in plain lists).
func redactTree(v any, key string) (any, bool) {
	switch v := v.(type) {
	case string:
		if v != "" && key != "" && isSecretName(key) {
			return redactedValue(v), v != redactedValue(v)
		}
		r := RedactText(v)
		return r, r != v
	case map[string]any:
		changed := false
		for k, val := range v {
			nv, c := redactTree(val, k)
			if c {
				v[k], changed = nv, true
			}
		}
		return v, changed
	case []any:
		changed := false
		for i, val := range v {
			nv, c := redactTree(val, key)
			if c {
				v[i], changed = nv, true
			}
		}
		return v, changed
	}
	return v, false
}

func redactProcesses(ps []Process) {
	for i := range ps {
		ps[i].Command = RedactText(ps[i].Command)
	}
}

// Patterns of secrets that are recognisable by their shape alone, wherever
// they appear. Each has a fixed prefix so that ordinary words never match;
// the generic ones also need a random-looking body (see looksRandom).
var (
	shapedSecret = regexp.MustCompile(
		`\b(?:` +
			`hf_[A-Za-z0-9]{20,}` + // Hugging Face
			`|sk-[A-Za-z0-9_-]{20,}` + // OpenAI, Anthropic (sk-ant-...), ...
			`|gh[pousr]_[A-Za-z0-9]{30,}` + // GitHub
			`|github_pat_[A-Za-z0-9_]{30,}` +
			`|glpat-[A-Za-z0-9_-]{20,}` + // GitLab
			`|xox[abposr]-[A-Za-z0-9-]{10,}` + // Slack
			`|AKIA[0-9A-Z]{16}` + // AWS access key id
			`|AIza[0-9A-Za-z_-]{35}` + // Google API key
			`|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}` + // JWT
			`)`)
	// "Authorization: Bearer x", "Bearer x", "Authorization: Basic x".
	authHeader = regexp.MustCompile(`(?i)(\bauthorization:\s*(?:bearer|basic|token)?\s*|\bbearer\s+)([^\s"']{6,})`)
	// scheme://, where a URL with user info may start (see redactURLs).
	urlScheme = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://`)
	// "X-Api-Key: v", "token:v": a secret-named header or key, then a colon.
	colonPair = regexp.MustCompile(`([A-Za-z][A-Za-z0-9_.-]*):([ \t]*)([^\s"',;]+)`)
	// "password": "v" in JSON text.
	jsonPair = regexp.MustCompile(`"([A-Za-z0-9_.-]+)"(\s*:\s*)"((?:[^"\\]|\\.)*)"`)
	// name=value pairs inside an argument: env assignments, URL queries,
	// connection strings, -Dprop=value.
	nameValue = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_.-]*)=([^\s&;,"']*)`)
	// A command-line argument, with its position.
	argument = regexp.MustCompile(`\S+`)
)

// RedactText replaces the secrets in a command line or message by
// [REDACTED], keeping the rest readable: values of flags and assignments
// whose name says secret (--token X, --api-key=X, AWS_SECRET_ACCESS_KEY=X,
// password=X), passwords in URLs, bearer tokens, and tokens recognisable by
// their prefix (hf_, sk-, ghp_, ...). Names that merely contain such a word
// (--max-tokens, /data/token_cache, --password-file) are left alone.
func RedactText(s string) string {
	if s == "" {
		return s
	}
	s = redactURLs(s)
	s = jsonPair.ReplaceAllStringFunc(s, func(m string) string {
		sub := jsonPair.FindStringSubmatch(m)
		if !isSecretName(sub[1]) && !bareSecretFlags[strings.ToLower(sub[1])] {
			return m
		}
		return `"` + sub[1] + `"` + sub[2] + `"` + redactedValue(sub[3]) + `"`
	})
	s = colonPair.ReplaceAllStringFunc(s, func(m string) string {
		sub := colonPair.FindStringSubmatch(m)
		if !isSecretName(sub[1]) || strings.HasPrefix(sub[3], "//") {
			return m
		}
		return sub[1] + ":" + sub[2] + redactedValue(sub[3])
	})
	s = authHeader.ReplaceAllStringFunc(s, func(m string) string {
		sub := authHeader.FindStringSubmatch(m)
		if sub[2] == Redacted {
			return m
		}
		return sub[1] + Redacted
	})
	s = redactArguments(s)
	s = shapedSecret.ReplaceAllStringFunc(s, func(m string) string {
		switch {
		case strings.HasPrefix(m, "hf_"):
			// Also the start of ordinary names (hf_cache); Hugging Face
			// tokens mix upper and lower case, digits or not.
			if !mixedCase(m[3:]) {
				return m
			}
		case strings.HasPrefix(m, "sk-"):
			// Also the start of ordinary names ("sk-learn-..."); real
			// keys are random base62 or 32+ hex digits.
			if !looksRandom(m[3:]) && !longHex(m[3:]) {
				return m
			}
		}
		return Redacted
	})
	return s
}

// redactArguments walks the arguments: a secret-named flag hides its value
// (the next argument, or what follows "="), and secret-named name=value
// pairs inside any argument hide their value.
func redactArguments(s string) string {
	var b strings.Builder
	last := 0
	hideNext := false
	for _, loc := range argument.FindAllStringIndex(s, -1) {
		arg := s[loc[0]:loc[1]]
		b.WriteString(s[last:loc[0]])
		last = loc[1]
		if hideNext {
			hideNext = false
			if !strings.HasPrefix(arg, "-") {
				b.WriteString(redactedValue(arg))
				continue
			}
		}
		if name, ok := flagName(arg); ok {
			if bareSecretFlag(arg) {
				hideNext = true
				b.WriteString(arg)
				continue
			}
			if eq := strings.IndexByte(name, '='); eq >= 0 {
				if isSecretName(name[:eq]) || bareSecretFlags[strings.ToLower(name[:eq])] {
					b.WriteString(arg[:len(arg)-len(name)+eq+1] + redactedValue(name[eq+1:]))
					continue
				}
			} else if isSecretName(name) {
				hideNext = true
				b.WriteString(arg)
				continue
			}
		}
		b.WriteString(redactPairs(arg))
	}
	b.WriteString(s[last:])
	return b.String()
}

// bareSecretFlags are flags whose whole name says the value is a secret,
// though the word alone is not a secret name for an assignment: --key V,
// --pass V (and mysql's -p V, matched in bareSecretFlag).
var bareSecretFlags = map[string]bool{"key": true, "pass": true, "pwd": true, "apikey": true}

func bareSecretFlag(arg string) bool {
	if arg == "-p" {
		return true
	}
	if !strings.HasPrefix(arg, "--") {
		return false
	}
	return bareSecretFlags[strings.ToLower(arg[2:])]
}

// redactURLs hides the password of every scheme://user:password@host, the
// password may hold "/" and "@" (not escaped, as people type them): the
// host is what follows the last "@" of the authority.
func redactURLs(s string) string {
	locs := urlScheme.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		if loc[0] < last {
			continue
		}
		rest := s[loc[1]:]
		end := strings.IndexAny(rest, " \t\n\"'<>")
		if end < 0 {
			end = len(rest)
		}
		cand := rest[:end]
		at := lastHostAt(cand)
		if at < 0 {
			continue
		}
		user, pass, ok := strings.Cut(cand[:at], ":")
		if !ok || pass == "" || strings.ContainsAny(user, "/?#") || portAndPath(pass) {
			continue
		}
		b.WriteString(s[last:loc[1]])
		b.WriteString(user + ":" + redactedValue(pass))
		last = loc[1] + at
	}
	b.WriteString(s[last:])
	return b.String()
}

// lastHostAt is the index of the "@" that ends the user info of an
// authority: the last "@" followed by a host name and then ":port", "/",
// "?", "#" or the end.
func lastHostAt(cand string) int {
	for at := strings.LastIndexByte(cand, '@'); at >= 0; at = strings.LastIndexByte(cand[:at], '@') {
		host := cand[at+1:]
		if i := strings.IndexAny(host, ":/?#"); i >= 0 {
			host = host[:i]
		}
		if host != "" && strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_[]") == "" {
			return at
		}
	}
	return -1
}

// portAndPath: "8080/pkg" after "host:" is a port and a path, not a password.
func portAndPath(p string) bool {
	digits := len(p) - len(strings.TrimLeft(p, "0123456789"))
	return digits > 0 && (digits == len(p) || p[digits] == '/')
}

// redactedValue is [REDACTED], or the value itself when an earlier pass
// already redacted it or there is nothing to hide.
func redactedValue(v string) string {
	if v == "" || strings.Contains(v, Redacted) {
		return v
	}
	return Redacted
}

func redactPairs(arg string) string {
	if !strings.Contains(arg, "=") {
		return arg
	}
	return nameValue.ReplaceAllStringFunc(arg, func(m string) string {
		eq := strings.IndexByte(m, '=')
		name, value := m[:eq], m[eq+1:]
		if !isSecretName(name) {
			return m
		}
		return name + "=" + redactedValue(value)
	})
}

// flagName returns an argument's name without its leading dashes (and
// without a Java "-D"), including any "=value".
func flagName(arg string) (string, bool) {
	if !strings.HasPrefix(arg, "-") {
		return "", false
	}
	name := strings.TrimLeft(arg, "-")
	if strings.HasPrefix(arg, "-D") && len(name) > 1 {
		name = name[1:]
	}
	if name == "" {
		return "", false
	}
	return name, true
}

// Words that make a name secret when they end it: HF_TOKEN, --auth-token,
// db_password, client_secret, sig (Azure SAS)... "tokens" (plural) is a
// count, not a credential; "pwd" is left out because $PWD is the working
// directory.
var secretLastWords = map[string]bool{
	"token": true, "password": true, "passwd": true, "secret": true,
	"apikey": true, "credential": true, "credentials": true, "auth": true,
	"sig": true, "signature": true, "passphrase": true,
}

// Qualifiers that make "...key" a credential (API_KEY, AccountKey,
// AWS_SECRET_ACCESS_KEY) while "sort_key" stays a key.
var secretKeyQualifiers = map[string]bool{
	"api": true, "access": true, "secret": true, "account": true, "auth": true,
	"private": true, "signing": true, "client": true, "master": true,
}

// Qualifiers that make "...key" a field name: --sort-key name,
// --text_key text, partition_key, ssh_key (a path to a key, not the key).
var benignKeyQualifiers = map[string]bool{
	"sort": true, "partition": true, "primary": true, "foreign": true, "cache": true, "hash": true,
	"dict": true, "map": true, "group": true, "index": true, "lookup": true, "shard": true, "routing": true,
	"join": true, "order": true, "row": true, "column": true, "public": true, "pub": true, "ssh": true,
	"text": true, "label": true, "input": true, "output": true, "target": true, "metric": true,
	"dataset": true, "data": true, "feature": true, "image": true, "prompt": true, "id": true,
	"name": true, "field": true, "message": true, "sample": true, "hot": true, "host": true, "node": true,
	"file": true, "s3": true, "object": true, "bucket": true, "kv": true, "dedup": true, "sharding": true,
}

// isSecretName decides from a flag's or variable's name whether its value is
// a credential. The name is split into words at "-", "_", "." and
// lower-to-upper case changes.
func isSecretName(name string) bool {
	words := nameWords(name)
	n := len(words)
	if n == 0 {
		return false
	}
	last := words[n-1]
	if secretLastWords[last] {
		return true
	}
	// PGPASSWORD, MYSQLPASSWORD, clientsecret: the word ends the name.
	for _, w := range []string{"password", "passwd", "secret", "token", "apikey", "passphrase"} {
		if strings.HasSuffix(last, w) && last != w {
			return true
		}
	}
	// MYSQL_PWD, DB_PWD; PWD and OLDPWD alone are directories.
	if last == "pwd" && n >= 2 {
		return true
	}
	// WANDB_KEY, --license-key, --encryption-key: a qualified key is a
	// credential unless the qualifier says it is a field name.
	if last == "key" && n >= 2 && !benignKeyQualifiers[words[n-2]] {
		return true
	}
	// AWS_ACCESS_KEY_ID, --api-key, SECRET_KEY, AccountKey.
	if words[n-1] == "id" && n >= 3 && words[n-2] == "key" && secretKeyQualifiers[words[n-3]] {
		return true
	}
	return words[n-1] == "key" && n >= 2 && secretKeyQualifiers[words[n-2]]
}

func nameWords(name string) []string {
	var words []string
	runes := []rune(name)
	start := 0
	flush := func(end int) {
		if end > start {
			words = append(words, strings.ToLower(string(runes[start:end])))
		}
	}
	for i, r := range runes {
		if r == '-' || r == '_' || r == '.' {
			flush(i)
			start = i + 1
			continue
		}
		if i == start || !unicode.IsUpper(r) {
			continue
		}
		prev := runes[i-1]
		// "apiKey" splits before K; "HFToken" splits before T, the last
		// capital of an acronym that a lower-case word follows.
		nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
		if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
			flush(i)
			start = i
		}
	}
	flush(len(runes))
	return words
}

// mixedCase reports whether s has both upper- and lower-case letters.
func mixedCase(s string) bool {
	return strings.ContainsFunc(s, unicode.IsUpper) && strings.ContainsFunc(s, unicode.IsLower)
}

// longHex reports whether s is 32 or more hex digits with at least one
// letter and one digit (sk- keys of some providers).
func longHex(s string) bool {
	if len(s) < 32 || strings.Trim(s, "0123456789abcdef") != "" {
		return false
	}
	return strings.ContainsAny(s, "abcdef") && strings.ContainsAny(s, "0123456789")
}

// looksRandom reports whether a token body mixes upper case, lower case and
// digits, as generated keys do and directory names rarely do.
func looksRandom(s string) bool {
	var upper, lower, digit bool
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	return upper && lower && digit
}
