package local

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// keySize is the size of every key here: the master key, KMS key material and data keys are
// all AES-256 keys.
const keySize = 32

// seal encrypts plaintext with AES-256-GCM under key, binding aad (so a sealed value moved to
// another row does not open). The output is nonce || ciphertext+tag.
func seal(key, plaintext, aad []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize(), gcm.NonceSize()+len(plaintext)+gcm.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, plaintext, aad), nil
}

// unseal reverses seal; a wrong key, wrong aad or tampered input is an error.
func unseal(key, sealed, aad []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize()+gcm.Overhead() {
		return nil, errors.New("sealed value too short")
	}
	n := gcm.NonceSize()
	return gcm.Open(nil, sealed[:n], sealed[n:], aad)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("key of %d bytes, want %d", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func randomKey() ([]byte, error) {
	k := make([]byte, keySize)
	_, err := rand.Read(k)
	return k, err
}

// newUUID is a random (version 4) UUID, the form of KMS key ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newVersionID is an opaque object version id, as S3's are.
func newVersionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// loadOrCreateMasterKey reads the master key, creating it on first use. Creation writes a
// temporary file and links it into place, so two processes opening a new state directory at
// once agree on one key (the loser of the link reads the winner's).
func loadOrCreateMasterKey(path string) ([]byte, error) {
	if key, err := readMasterKey(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key, err := randomKey()
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), writerPrefix(masterTempPrefix)+"*")
	if err != nil {
		return nil, fmt.Errorf("local backend: creating master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := tmp.Write([]byte(hex.EncodeToString(key) + "\n")); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("local backend: creating master key: %w", err)
	}
	syncDir(filepath.Dir(path))
	return readMasterKey(path)
}

func readMasterKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(key) != keySize {
		return nil, fmt.Errorf("local backend: %s is not a master key (64 hex digits)", path)
	}
	return key, nil
}

// masterCheck is a known value sealed with the master key when the database is created, so
// that a state directory whose master.key was replaced or lost fails at Open with a clear
// message instead of at the first decryption.
var masterCheck = []byte("pipelinekit local backend master key check")

func (c *Cloud) checkMasterKey(ctx context.Context) error {
	var sealed []byte
	err := c.reader.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'master_check'`).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return c.write(ctx, func(tx *sql.Tx) error {
			v, err := seal(c.master, masterCheck, []byte("master_check"))
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES ('master_check', ?) ON CONFLICT (name) DO NOTHING`, v)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("local backend: reading master key check: %w", err)
	}
	if got, err := unseal(c.master, sealed, []byte("master_check")); err != nil || !bytes.Equal(got, masterCheck) {
		return fmt.Errorf("local backend: %s does not belong to the database in %s (was it replaced?); key material cannot be opened",
			filepath.Join(c.dir, masterKeyFile), c.dir)
	}
	return nil
}

// syncDir makes a rename or link durable. Best effort: some filesystems refuse fsync on a
// directory, and the data itself was already synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
