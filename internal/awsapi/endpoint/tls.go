package endpoint

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// TLS for the endpoint: a certificate authority generated once per state directory, and a
// server certificate it signs for the loopback names (127.0.0.1, ::1, localhost). Clients
// trust the CA's file (AWS_CA_BUNDLE, the SDKs' custom CA bundle). Virtual-host-style S3 over
// TLS is not offered: Python refuses a *.localhost wildcard, so use path style.

// TLS files under the directory TLSConfig is given.
const (
	CAFile         = "ca.pem"
	caKeyFile      = "ca-key.pem"
	serverFile     = "server.pem"
	serverKeyFile  = "server-key.pem"
	certificateTTL = 10 * 365 * 24 * time.Hour
)

// TLSConfig loads the endpoint's certificate from dir, creating the CA and the certificate on
// first use (files 0600 in a 0700 directory). It returns the configuration and the path of the
// CA's certificate, for clients to trust.
func TLSConfig(dir string) (*tls.Config, string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("TLS directory: %w", err)
	}
	caPath := filepath.Join(dir, CAFile)
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, serverFile), filepath.Join(dir, serverKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		if err := generate(dir); err != nil {
			return nil, "", err
		}
		cert, err = tls.LoadX509KeyPair(filepath.Join(dir, serverFile), filepath.Join(dir, serverKeyFile))
	}
	if err != nil {
		return nil, "", fmt.Errorf("TLS certificate in %s: %w (remove the directory to generate a new CA)", dir, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, caPath, nil
}

func generate(dir string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "codepipeline local cloud CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(certificateTTL),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(certificateTTL),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	for name, block := range map[string]*pem.Block{
		CAFile:     {Type: "CERTIFICATE", Bytes: caDER},
		serverFile: {Type: "CERTIFICATE", Bytes: srvDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			return err
		}
	}
	for name, key := range map[string]*ecdsa.PrivateKey{caKeyFile: caKey, serverKeyFile: srvKey} {
		der, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	return n
}
