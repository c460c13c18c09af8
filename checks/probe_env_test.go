package checks

import (
	"errors"
	"testing"

	"github.com/gputop/gputop/model"
)

func TestProbeSlurm(t *testing.T) {
	cases := []struct {
		name    string
		vars    map[string]string
		cgroup  string
		conf    string
		want    model.SlurmFacts
		noProbe bool
	}{
		{name: "not a job", want: model.SlurmFacts{}},
		{name: "cgroup v1 path, job GPUs, ConstrainDevices=no",
			vars:   map[string]string{"SLURM_JOB_ID": "42", "SLURM_JOB_GPUS": "0"},
			cgroup: "12:devices:/slurm/uid_1000/job_42/step_0\n11:memory:/slurm/uid_1000/job_42/step_0\n",
			conf:   "ConstrainDevices = no  # not confined\n",
			want: model.SlurmFacts{JobID: "42", GPUs: "0", GPUsFrom: "SLURM_JOB_GPUS", Cgroup: "/slurm/uid_1000/job_42/step_0",
				ConstrainDevices: model.Some(false), ConfPath: "/etc/slurm/cgroup.conf"}},
		{name: "step GPUs win, conf unreadable",
			vars: map[string]string{"SLURM_JOB_ID": "7", "SLURM_JOB_GPUS": "0,1,2,3", "SLURM_STEP_GPUS": "2,3"},
			want: model.SlurmFacts{JobID: "7", GPUs: "2,3", GPUsFrom: "SLURM_STEP_GPUS"}},
		{name: "a job cgroup without variables (an srun'd shell that dropped them)",
			cgroup: "0::/system.slice/slurmstepd.scope/job_9/step_interactive/user/task_0\n",
			conf:   "#ConstrainDevices=yes\nConstrainDevices=yes\n",
			want: model.SlurmFacts{Cgroup: "/system.slice/slurmstepd.scope/job_9/step_interactive/user/task_0",
				ConstrainDevices: model.Some(true), ConfPath: "/etc/slurm/cgroup.conf"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			if c.cgroup != "" {
				writeFile(t, root, "/proc/self/cgroup", c.cgroup)
			}
			if c.conf != "" {
				writeFile(t, root, "/etc/slurm/cgroup.conf", c.conf)
			}
			got := probeSlurm((&fakeEnv{vars: c.vars}).env(root))
			if got != c.want {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestProbeWSLAndOperatorVariants(t *testing.T) {
	root := t.TempDir()
	// No "microsoft" in the release (a custom kernel), but the WSL layout.
	writeFile(t, root, "/proc/sys/kernel/osrelease", "6.6.36-custom\n")
	writeFile(t, root, "/dev/dxg", "")
	writeFile(t, root, "/usr/lib/wsl/lib/libcuda.so.1", "")
	env := (&fakeEnv{vars: map[string]string{}}).env(root)
	if w := probeWSL(env); !w.Detected || w.Evidence != "/dev/dxg and /usr/lib/wsl/lib/libcuda.so.1 exist" {
		t.Errorf("wsl = %+v", w)
	}
	// RHEL-style driver root: lib64.
	writeFile(t, root, "/run/nvidia/driver/usr/lib64/libnvidia-ml.so.570.124.06", "")
	symlink(t, root, "libnvidia-ml.so.570.124.06", "/run/nvidia/driver/usr/lib64/libnvidia-ml.so.1")
	o := probeOperator(env)
	if !o.DriverRoot || o.LibraryDir != "/run/nvidia/driver/usr/lib64" || o.DriverVersion != "570.124.06" || o.ValidationsDir {
		t.Errorf("operator = %+v", o)
	}
}

func TestProbeContainerEnvOpenErrors(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "/dev/nvidiactl", "")
	writeFile(t, root, "/var/run/cdi/nvidia.json", `{"containerEdits":{"mounts":[{"hostPath":"/usr/lib64/libcuda.so.575.57.08"}]}}`)
	saved := openDevice
	t.Cleanup(func() { openDevice = saved })
	openDevice = func(string) error { return errors.New("permission denied") }
	c := probeContainerEnv((&fakeEnv{vars: map[string]string{}}).env(root))
	if !c.ControlOpenTried || c.ControlOpenError != "permission denied" || c.DriverCapabilities.OK {
		t.Errorf("container env = %+v", c)
	}
	if len(c.CDISpecs) != 1 || c.CDISpecs[0].DriverVersion != "575.57.08" {
		t.Errorf("cdi = %+v", c.CDISpecs)
	}
	// File permissions are not the device cgroup: no "Unknown Error" claim.
	f := model.Facts{Environment: model.EnvironmentFacts{Probed: true, Container: c}}
	if deviceCgroupDenied(&f) {
		t.Error("permission denied read as a device cgroup")
	}
}
