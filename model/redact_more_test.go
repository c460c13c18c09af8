package model

import "testing"

// TestRedactIssue11 is every miss issue 11's audit listed, and the
// look-alikes that must stay.
func TestRedactIssue11(t *testing.T) {
	const R = Redacted
	tests := []struct{ name, in, want string }{
		{"PGPASSWORD", "env PGPASSWORD=hunter2 psql -h db", "env PGPASSWORD=" + R + " psql -h db"},
		{"MYSQL_PWD", "MYSQL_PWD=hunter2 mysql", "MYSQL_PWD=" + R + " mysql"},
		{"WANDB_KEY", "WANDB_KEY=0123abcd python x.py", "WANDB_KEY=" + R + " python x.py"},
		{"-p value", "mysql -u root -p hunter2 db", "mysql -u root -p " + R + " db"},
		{"--pass value", "tool --pass hunter2 --x 1", "tool --pass " + R + " --x 1"},
		{"--pass=value", "tool --pass=hunter2", "tool --pass=" + R},
		{"--key value", "tool --key s3cr3t --out x", "tool --key " + R + " --out x"},
		{"X-Api-Key header", "curl -H X-Api-Key: abc123 https://x", "curl -H X-Api-Key: " + R + " https://x"},
		{"X-Api-Key quoted", `curl -H "X-Api-Key: abc123" https://x`, `curl -H "X-Api-Key: ` + R + `" https://x`},
		{"json password", `app --config {"user":"bob","password":"hunter2"}`, `app --config {"user":"bob","password":"` + R + `"}`},
		{"json spaced", `{"api_key": "abc"}`, `{"api_key": "` + R + `"}`},
		{"token colon", "run token:abc123", "run token:" + R},
		{"url password with slash", "psql postgres://admin:pa/ss@db:5432/app", "psql postgres://admin:" + R + "@db:5432/app"},
		{"url password with at", "psql postgres://admin:p@ss@db.internal/app", "psql postgres://admin:" + R + "@db.internal/app"},
		{"hf token without digits", "python dl.py hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "python dl.py " + R},
		{"sk- lowercase hex", "run sk-0123456789abcdef0123456789abcdef", "run " + R},

		{"port and path stay", "npm i https://registry:443/pkg@1.0", "npm i https://registry:443/pkg@1.0"},
		{"email in query stays", "curl https://x.org/a?mail=a@b.org", "curl https://x.org/a?mail=a@b.org"},
		{"-p port elsewhere still a flag", "ssh -P 22 host", "ssh -P 22 host"},
		{"text key stays", "python train.py --text_key text", "python train.py --text_key text"},
		{"hf cache stays", "python x.py hf_transformerscachedirectoryx", "python x.py hf_transformerscachedirectoryx"},
		{"sk-learn stays", "python /opt/sk-learn-classifier-experiment-2024/run.py", "python /opt/sk-learn-classifier-experiment-2024/run.py"},
		{"time stays", "echo 12:30:45 done", "echo 12:30:45 done"},
		{"OLDPWD stays", "env OLDPWD=/home/a x", "env OLDPWD=/home/a x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := RedactText(tc.in)
			if got != tc.want {
				t.Errorf("RedactText(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if again := RedactText(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}
