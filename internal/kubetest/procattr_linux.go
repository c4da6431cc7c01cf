package kubetest

import "syscall"

// sysProcAttr kills the child when the test binary dies (a timeout panic,
// a killed `go test`), so no etcd or kube-apiserver outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
