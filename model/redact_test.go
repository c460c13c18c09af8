package model

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestRedactText(t *testing.T) {
	const R = Redacted
	tests := []struct {
		name, in, want string
	}{
		// Flags whose value is a secret, both spellings.
		{"api key flag", "python serve.py --api-key abc123XYZ --port 8000",
			"python serve.py --api-key " + R + " --port 8000"},
		{"api key flag with =", "vllm serve meta-llama/Llama-3.1-8B --api-key=s3cr3t --tensor-parallel-size 8",
			"vllm serve meta-llama/Llama-3.1-8B --api-key=" + R + " --tensor-parallel-size 8"},
		{"token with =", "python train.py --token=hf_dummyvalue", "python train.py --token=" + R},
		{"hf token underscores", "python run_clm.py --hub_token hf_AbCdEfGhIjKlMnOpQrStUvWx12 --push_to_hub",
			"python run_clm.py --hub_token " + R + " --push_to_hub"},
		{"password flag", "mysql --user=root --password secretpw db", "mysql --user=root --password " + R + " db"},
		{"single dash go flag", "./server -token abc -listen :8080", "./server -token " + R + " -listen :8080"},
		{"client secret", "app --client-secret=xyz --client-id=42", "app --client-secret=" + R + " --client-id=42"},
		{"auth flag", "curl --auth user:hunter2 https://example.com", "curl --auth " + R + " https://example.com"},
		{"camel case flag", "node app.js --apiKey=abcdef", "node app.js --apiKey=" + R},
		{"acronym camel case", "tool --HFToken xyz", "tool --HFToken " + R},
		{"java system property", "java -Djavax.net.ssl.keyStorePassword=changeit -jar app.jar",
			"java -Djavax.net.ssl.keyStorePassword=" + R + " -jar app.jar"},
		{"secret flag without value", "python run.py --use_auth_token --model gpt2",
			"python run.py --use_auth_token --model gpt2"},

		// Assignments that look like environment variables.
		{"aws secret env", "env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY python train.py",
			"env AWS_SECRET_ACCESS_KEY=" + R + " python train.py"},
		{"aws key id env", "env AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE aws s3 ls",
			"env AWS_ACCESS_KEY_ID=" + R + " aws s3 ls"},
		{"hf token env", "HF_TOKEN=abc python x.py", "HF_TOKEN=" + R + " python x.py"},
		{"wandb api key env", "WANDB_API_KEY=0123456789abcdef0123456789abcdef01234567 wandb agent x",
			"WANDB_API_KEY=" + R + " wandb agent x"},
		{"lowercase password", "worker password=hunter2 host=db", "worker password=" + R + " host=db"},
		{"db password", "migrate db_password=pa55 db_host=x", "migrate db_password=" + R + " db_host=x"},
		{"azure connection string", "az --connection-string DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=bXlrZXk=;EndpointSuffix=core.windows.net",
			"az --connection-string DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + R + ";EndpointSuffix=core.windows.net"},
		{"spark secret key", "spark-submit --conf spark.hadoop.fs.s3a.secret.key=XYZ job.py",
			"spark-submit --conf spark.hadoop.fs.s3a.secret.key=" + R + " job.py"},

		// URLs.
		{"url password", "python worker.py --broker redis://default:Sup3rSecret@redis:6379/0",
			"python worker.py --broker redis://default:" + R + "@redis:6379/0"},
		{"postgres url", "psql postgresql://admin:pa%24%24@db.internal:5432/app",
			"psql postgresql://admin:" + R + "@db.internal:5432/app"},
		{"url query token", "wget https://example.com/model.bin?token=abc123&download=1",
			"wget https://example.com/model.bin?token=" + R + "&download=1"},
		{"azure sas", "azcopy copy https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=AbC%2Fdef%3D ./x",
			"azcopy copy https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=" + R + " ./x"},

		// Bearer tokens and headers.
		{"bearer header", "curl -H Authorization: Bearer eyJhbGciOiJIUzI1NiJ9abc https://api.example.com",
			"curl -H Authorization: Bearer " + R + " https://api.example.com"},
		{"basic header", "curl -H Authorization: Basic dXNlcjpwYXNz https://x", "curl -H Authorization: Basic " + R + " https://x"},

		// Tokens recognisable by their shape wherever they are.
		{"hf token anywhere", "python dl.py hf_AbCdEfGhIjKlMnOpQrStUvWxYz123456",
			"python dl.py " + R},
		{"openai key", "python agent.py sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56", "python agent.py " + R},
		{"anthropic key", "run sk-ant-api03-AbCdEf123456GhIjKl789012MnOpQr", "run " + R},
		{"github token", "git clone https://ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789@github.com/o/r.git",
			"git clone https://" + R + "@github.com/o/r.git"},
		{"github fine grained", "gh auth github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv", "gh auth " + R},
		{"gitlab token", "glab glpat-AbCdEfGhIjKlMnOpQrSt", "glab " + R},
		{"slack token", "notify xoxb-123456789012-abcdefghij", "notify " + R},
		{"aws key id anywhere", "aws AKIAIOSFODNN7EXAMPLE", "aws " + R},
		{"jwt", "client eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
			"client " + R},

		// Must NOT be redacted.
		{"max tokens", "python -m vllm.entrypoints.openai.api_server --max-tokens 4096 --max-model-len 8192",
			"python -m vllm.entrypoints.openai.api_server --max-tokens 4096 --max-model-len 8192"},
		{"max new tokens underscore", "python generate.py --max_new_tokens 512", "python generate.py --max_new_tokens 512"},
		{"path with token directory", "python train.py --data /mnt/token_store/shards --out /home/u/tokens/run1",
			"python train.py --data /mnt/token_store/shards --out /home/u/tokens/run1"},
		{"tokenizer flag", "python train.py --tokenizer /models/tokenizer.json", "python train.py --tokenizer /models/tokenizer.json"},
		{"token file flag", "server --token-file /run/secrets/token --password-file /etc/pw",
			"server --token-file /run/secrets/token --password-file /etc/pw"},
		{"tokenizers env", "TOKENIZERS_PARALLELISM=false MAX_TOKENS=4096 python x.py",
			"TOKENIZERS_PARALLELISM=false MAX_TOKENS=4096 python x.py"},
		{"pwd is a directory", "env PWD=/home/alice/work python x.py", "env PWD=/home/alice/work python x.py"},
		{"sort key", "python sort.py --sort-key name --key-file k.txt", "python sort.py --sort-key name --key-file k.txt"},
		{"sk-learn directory", "python /opt/sk-learn-classifier-experiment-2024/run.py",
			"python /opt/sk-learn-classifier-experiment-2024/run.py"},
		{"hf cache", "HF_HOME=/data/hf_cache python x.py", "HF_HOME=/data/hf_cache python x.py"},
		{"url without password", "git clone https://alice@github.com/o/r.git", "git clone https://alice@github.com/o/r.git"},
		{"cuda env", "CUDA_VISIBLE_DEVICES=0,1 torchrun --nproc_per_node 2 train.py",
			"CUDA_VISIBLE_DEVICES=0,1 torchrun --nproc_per_node 2 train.py"},
		{"plain command", "/usr/bin/python3 -u train.py --lr 3e-4 --batch-size 32",
			"/usr/bin/python3 -u train.py --lr 3e-4 --batch-size 32"},
		{"empty", "", ""},
		{"keeps spacing", "a  --token   x\tb", "a  --token   " + R + "\tb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := RedactText(tc.in)
			if got != tc.want {
				t.Errorf("RedactText(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			// Redacting twice changes nothing more.
			if again := RedactText(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func TestIsSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"token": true, "HF_TOKEN": true, "hub-token": true, "apiKey": true, "API_KEY": true,
		"AWS_SECRET_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true, "client_secret": true,
		"AccountKey": true, "passphrase": true,
		"tokens": false, "max_tokens": false, "tokenizer": false, "token-file": false,
		"sort_key": false, "key": false, "PWD": false, "secret-file": false, "": false,
	} {
		if got := isSecretName(name); got != want {
			t.Errorf("isSecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestNewSnapshotRedactsCopies(t *testing.T) {
	secret := "python x.py --token abc"
	procs := []Process{{PID: 7, Command: secret, Resolved: true}}
	in := SnapshotInput{
		GPUs: []GPURecord{{GPUInfo: GPUInfo{Index: 0},
			SlowSamples: []SlowSample{{Time: 1, Processes: procs}}}},
		Events: []Event{{Time: 1, Message: "process started: " + secret}},
		Checks: []CheckResult{{ID: "x", Status: Warn, Evidence: "held by " + secret}},
	}
	snap := NewSnapshot(in)
	if procs[0].Command != secret || in.Events[0].Message != "process started: "+secret {
		t.Fatal("NewSnapshot modified the caller's data")
	}
	for _, got := range []string{
		snap.Processes[0].Command,
		snap.GPUs[0].SlowSamples[0].Processes[0].Command,
		snap.Events[0].Message,
		snap.Checks[0].Evidence,
	} {
		if strings.Contains(got, "abc") || !strings.Contains(got, Redacted) {
			t.Errorf("not redacted: %q", got)
		}
	}
	if snap.Redaction != RedactionDefault {
		t.Errorf("redaction note %q", snap.Redaction)
	}

	in.Redact.FullCommandLines = true
	full := NewSnapshot(in)
	if got := full.Processes[0].Command; got != secret {
		t.Errorf("FullCommandLines: command %q, want it verbatim", got)
	}
	if got := full.GPUs[0].SlowSamples[0].Processes[0].Command; got != secret {
		t.Errorf("FullCommandLines: recorded command %q, want it verbatim", got)
	}
	if got := full.Events[0].Message + full.Checks[0].Evidence; strings.Contains(got, "abc") {
		t.Errorf("FullCommandLines let a secret into events or evidence: %q", got)
	}
	if full.Redaction != RedactionNone {
		t.Errorf("redaction note %q", full.Redaction)
	}
}

func TestRedactTree(t *testing.T) {
	// The shape of the checks' facts: nested objects, lists, an environment
	// map, numbers that must stay exact.
	const doc = `{"collected":"2026-11-21T07:53:00Z","env":{"HF_TOKEN":"abc","CUDA_VISIBLE_DEVICES":"0,1","PWD":"/home/a"},` +
		`"torch":[{"path":"/mnt/token_store/torch","cmd":"python -c x --api-key k1"}],"counter":18446744073709551615,` +
		`"nvml":{"AWS_SECRET_ACCESS_KEY":["x","y"],"ok":true,"none":null}}`
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		t.Fatal(err)
	}
	got, changed := redactTree(tree, "")
	if !changed {
		t.Fatal("nothing redacted")
	}
	out, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"collected":"2026-11-21T07:53:00Z","counter":18446744073709551615,` +
		`"env":{"CUDA_VISIBLE_DEVICES":"0,1","HF_TOKEN":"[REDACTED]","PWD":"/home/a"},` +
		`"nvml":{"AWS_SECRET_ACCESS_KEY":["[REDACTED]","[REDACTED]"],"none":null,"ok":true},` +
		`"torch":[{"cmd":"python -c x --api-key [REDACTED]","path":"/mnt/token_store/torch"}]}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	if _, changed := redactTree(map[string]any{"path": "/usr/local/cuda"}, ""); changed {
		t.Error("a tree without secrets reported a change")
	}
}

func TestRedactFactsKeepsCleanFacts(t *testing.T) {
	f := Facts{Collected: TimestampOf(testEpoch)}
	if got := redactFacts(f); !reflect.DeepEqual(got, f) {
		t.Errorf("redactFacts changed clean facts: %+v", got)
	}
}

// FuzzRedactText: redaction never panics, never grows a line without
// bound, and a second pass finds nothing more (what it leaves is clean).
func FuzzRedactText(f *testing.F) {
	for _, s := range []string{
		"python serve.py --api-key abc123XYZ --port 8000", "env AWS_SECRET_ACCESS_KEY=x python",
		"redis://u:p@h:1/0", "curl -H Authorization: Bearer abcdefgh", "x hf_AbCdEfGhIjKlMnOpQrStUvWx12",
		"--token --token x", "a=b=c password=x=y", "-D", "--=x", "ÄÖ--tökén=ü",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := RedactText(s)
		if twice := RedactText(once); twice != once {
			t.Fatalf("second pass changed %q -> %q (from %q)", once, twice, s)
		}
		if len(once) > 10*len(s)+len(Redacted) {
			t.Fatalf("redaction grew %d bytes to %d", len(s), len(once))
		}
	})
}
