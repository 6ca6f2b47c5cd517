package sigv4_test

import (
	"crypto/hmac"
	"crypto/sha256"
)

func hmacSHA(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
