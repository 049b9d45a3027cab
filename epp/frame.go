package epp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// headerLen is the size of the RFC 5734 data-unit header: a 32-bit
// big-endian total length that counts the header itself.
const headerLen = 4

// DefaultMaxFrame is the largest data unit accepted unless configured
// otherwise.
const DefaultMaxFrame = 64 << 10

// Frame errors. A read that fails with one of them leaves the stream at an
// unknown position: the session must be closed.
var (
	// ErrFrameTooLarge: the header announces more than the maximum.
	ErrFrameTooLarge = errors.New("epp: frame exceeds the maximum size")
	// ErrFrameHeader: the header announces a length no data unit can have
	// (less than or equal to the header itself).
	ErrFrameHeader = errors.New("epp: invalid frame length header")
	// ErrFrameTruncated: the stream ended inside a header or a frame.
	ErrFrameTruncated = errors.New("epp: truncated frame")
)

// FrameSizeError reports the length a rejected header announced.
type FrameSizeError struct {
	Length uint32
	Max    int
	Err    error // ErrFrameTooLarge or ErrFrameHeader
}

func (e *FrameSizeError) Error() string {
	return fmt.Sprintf("%v: header announces %d bytes (maximum %d)", e.Err, e.Length, e.Max)
}

func (e *FrameSizeError) Unwrap() error { return e.Err }

// ReadFrame reads one data unit from r and returns its payload. The header
// is checked against max before any payload is read, so a hostile header
// costs no memory. io.EOF is returned only when the stream ends cleanly
// before a header; an end inside a header or payload is ErrFrameTruncated.
func ReadFrame(r io.Reader, max int) ([]byte, error) {
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrFrameTruncated
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n <= headerLen {
		return nil, &FrameSizeError{Length: n, Max: max, Err: ErrFrameHeader}
	}
	if uint64(n)-headerLen > uint64(max) {
		return nil, &FrameSizeError{Length: n, Max: max, Err: ErrFrameTooLarge}
	}
	buf := make([]byte, n-headerLen)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrFrameTruncated
		}
		return nil, err
	}
	return buf, nil
}

// WriteFrame writes payload to w as one data unit, header and payload in a
// single write so that a TLS connection sends them in one record where it
// can.
func WriteFrame(w io.Writer, payload []byte) error {
	if len(payload) == 0 {
		return errors.New("epp: an empty payload is not a data unit")
	}
	if uint64(len(payload))+headerLen > 1<<32-1 {
		return fmt.Errorf("epp: payload of %d bytes is too large for a frame", len(payload))
	}
	buf := make([]byte, headerLen+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(len(buf)))
	copy(buf[headerLen:], payload)
	_, err := w.Write(buf)
	return err
}
