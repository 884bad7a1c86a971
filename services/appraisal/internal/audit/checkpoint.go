package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

// checkpointDomain starts every signed checkpoint payload, so that a
// signature made for a checkpoint is not valid for anything else signed
// with the same key.
const checkpointDomain = "aim-audit-checkpoint-v1"

// Keys signs checkpoints with the current audit key and checks them with
// it and with retired keys. The key is kept outside the data file: whoever
// can write the file can rewrite the trail's head but not sign for it.
type Keys struct {
	signer  ed25519.PrivateKey
	id      string
	verify  map[string]ed25519.PublicKey
	retired int
}

// KeyID names a public key: the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// NewKeys returns Keys that sign with priv and check with priv's public key
// and the retired ones.
func NewKeys(priv ed25519.PrivateKey, retired ...ed25519.PublicKey) *Keys {
	pub := priv.Public().(ed25519.PublicKey)
	k := &Keys{signer: priv, id: KeyID(pub), verify: map[string]ed25519.PublicKey{KeyID(pub): pub}}
	for _, r := range retired {
		if _, dup := k.verify[KeyID(r)]; !dup {
			k.verify[KeyID(r)] = r
			k.retired++
		}
	}
	return k
}

// ID returns the id of the signing key.
func (k *Keys) ID() string { return k.id }

// Retired returns how many retired public keys checkpoints are also
// checked with.
func (k *Keys) Retired() int { return k.retired }

// checkpointPayload is what a checkpoint's signature covers: the domain,
// the appraisal, the sequence, the hash, the time, the key id and the
// content digest, each length-prefixed.
func checkpointPayload(c *appraisalv1.AuditCheckpoint) []byte {
	var out []byte
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		out = append(out, n[:]...)
		out = append(out, b...)
	}
	num := func(v int64) {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(v))
		field(b[:])
	}
	field([]byte(checkpointDomain))
	field([]byte(c.GetAppraisal()))
	num(c.GetSequence())
	field([]byte(c.GetHash()))
	num(c.GetCheckpointTime().GetSeconds())
	num(int64(c.GetCheckpointTime().GetNanos()))
	field([]byte(c.GetKeyId()))
	field([]byte(c.GetContentDigest()))
	return out
}

// Sign returns a checkpoint of an appraisal's trail head (sequence, hash
// and content digest) at a time.
func (k *Keys) Sign(appraisal string, head *appraisalv1.AuditHead, at time.Time) *appraisalv1.AuditCheckpoint {
	c := &appraisalv1.AuditCheckpoint{
		Appraisal: appraisal, Sequence: head.GetSequence(), Hash: head.GetHash(), CheckpointTime: timestamppb.New(at), KeyId: k.id,
		ContentDigest: head.GetContentDigest(),
	}
	c.Signature = ed25519.Sign(k.signer, checkpointPayload(c))
	return c
}

// Check returns "" when the checkpoint's signature holds under a known key,
// or what is wrong with it.
func (k *Keys) Check(c *appraisalv1.AuditCheckpoint) string {
	pub, ok := k.verify[c.GetKeyId()]
	if !ok {
		return fmt.Sprintf("the checkpoint is signed with key %q, which this service does not know", c.GetKeyId())
	}
	if !ed25519.Verify(pub, checkpointPayload(c), c.GetSignature()) {
		return "the checkpoint's signature does not hold"
	}
	return ""
}

// The PEM block types of a key file: one private key (PKCS #8), and any
// number of retired public keys (PKIX) that old checkpoints are still
// checked with.
const (
	pemPrivate = "PRIVATE KEY"
	pemPublic  = "PUBLIC KEY"
)

// LoadKeys reads an audit key file: one Ed25519 private key, then the
// public keys of retired audit keys, all PEM.
func LoadKeys(path string) (*Keys, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	var priv ed25519.PrivateKey
	var retired []ed25519.PublicKey
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		switch block.Type {
		case pemPrivate:
			if priv != nil {
				return nil, fmt.Errorf("audit key %s: more than one private key", path)
			}
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("audit key %s: %w", path, err)
			}
			var ok bool
			if priv, ok = key.(ed25519.PrivateKey); !ok {
				return nil, fmt.Errorf("audit key %s: the private key is a %T, not Ed25519", path, key)
			}
		case pemPublic:
			key, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("audit key %s: %w", path, err)
			}
			pub, ok := key.(ed25519.PublicKey)
			if !ok {
				return nil, fmt.Errorf("audit key %s: a retired public key is a %T, not Ed25519", path, key)
			}
			retired = append(retired, pub)
		default:
			return nil, fmt.Errorf("audit key %s: unexpected PEM block %q", path, block.Type)
		}
	}
	if priv == nil {
		return nil, fmt.Errorf("audit key %s: no %s block", path, pemPrivate)
	}
	return NewKeys(priv, retired...), nil
}

// EnsureKey loads the key file at path, creating it with a new key (mode
// 0600) when it does not exist, and reports whether it was created.
func EnsureKey(path string) (*Keys, bool, error) {
	k, err := LoadKeys(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("audit key: %w", err)
	}
	if err := WriteNewKey(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, false, err
	}
	k, err = LoadKeys(path)
	return k, err == nil, err
}

// WriteNewKey writes a new Ed25519 audit key to path, which must not exist.
func WriteNewKey(path string) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: pemPrivate, Bytes: der}); err != nil {
		_ = f.Close()
		return fmt.Errorf("audit key: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("audit key: %w", err)
	}
	return f.Close()
}
