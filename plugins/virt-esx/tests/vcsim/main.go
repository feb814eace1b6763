// vcsim for virt-esx's tests: govmomi's vSphere simulator on loopback, plain http (or -tls).
// It prints the service URL (with its credentials) on one line, then serves until
// standard input closes or a signal arrives, so a test runner that dies takes it along.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
)

func main() {
	mode := flag.String("mode", "esx", "esx (a standalone host) or vpx (a vCenter)")
	vms := flag.Int("vms", 2, "virtual machines per host (esx) or per resource pool (vpx)")
	user := flag.String("user", "root", "the only user name the simulator accepts")
	password := flag.String("password", "secret", "the only password the simulator accepts")
	useTLS := flag.Bool("tls", false, "serve https instead of http (with Go's test certificate unless -cert)")
	certFile := flag.String("cert", "", "the server's certificate (PEM) for -tls")
	keyFile := flag.String("key", "", "the key of -cert (PEM)")
	flag.Parse()

	model := simulator.ESX()
	if *mode == "vpx" {
		model = simulator.VPX()
	}
	model.Machine = *vms
	if err := model.Create(); err != nil {
		fmt.Fprintln(os.Stderr, "vcsim: cannot create the model:", err)
		os.Exit(1)
	}
	defer model.Remove()
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(*user, *password)}
	if *useTLS {
		model.Service.TLS = new(tls.Config)
		if *certFile != "" {
			cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
			if err != nil {
				fmt.Fprintln(os.Stderr, "vcsim: cannot load the certificate:", err)
				os.Exit(1)
			}
			model.Service.TLS.Certificates = []tls.Certificate{cert}
		}
	}
	server := model.Service.NewServer()
	defer server.Close()
	fmt.Println(server.URL.String())

	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); done <- struct{}{} }()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() { <-signals; done <- struct{}{} }()
	<-done
}
