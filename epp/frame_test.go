package epp_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/eppd/eppd/epp"
)

// countingReader counts the bytes its readers took from r.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// frameHeader is an RFC 5734 header announcing total bytes, header
// included.
func frameHeader(total uint32) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, total)
	return b
}

// frame is a complete data unit carrying payload.
func frame(payload string) []byte {
	return append(frameHeader(uint32(len(payload)+4)), payload...)
}

func TestReadFrame(t *testing.T) {
	const max = 16
	cases := []struct {
		name string
		in   []byte
		max  int
		want string // payload, when wantErr is nil
		// wantErr is matched with errors.Is.
		wantErr error
		// consumed is how many bytes ReadFrame may take from the stream;
		// -1 means all of it.
		consumed int
	}{
		{name: "normal", in: frame("<epp/>"), max: max, want: "<epp/>", consumed: -1},
		{name: "one byte", in: frame("x"), max: max, want: "x", consumed: -1},
		{name: "exact max", in: frame(strings.Repeat("a", max)), max: max, want: strings.Repeat("a", max), consumed: -1},
		{name: "max+1", in: frame(strings.Repeat("a", max+1)), max: max, wantErr: epp.ErrFrameTooLarge, consumed: 4},
		{name: "huge header", in: append(frameHeader(1<<32-1), "abc"...), max: max, wantErr: epp.ErrFrameTooLarge, consumed: 4},
		{name: "huge header, huge max", in: frameHeader(1<<32 - 1), max: 1 << 20, wantErr: epp.ErrFrameTooLarge, consumed: 4},
		{name: "zero max", in: frame("x"), max: 0, wantErr: epp.ErrFrameTooLarge, consumed: 4},
		{name: "header 0", in: append(frameHeader(0), "abcd"...), max: max, wantErr: epp.ErrFrameHeader, consumed: 4},
		{name: "header 1", in: append(frameHeader(1), "abcd"...), max: max, wantErr: epp.ErrFrameHeader, consumed: 4},
		{name: "header 2", in: append(frameHeader(2), "abcd"...), max: max, wantErr: epp.ErrFrameHeader, consumed: 4},
		{name: "header 3", in: append(frameHeader(3), "abcd"...), max: max, wantErr: epp.ErrFrameHeader, consumed: 4},
		{name: "header 4 (empty payload)", in: append(frameHeader(4), "abcd"...), max: max, wantErr: epp.ErrFrameHeader, consumed: 4},
		{name: "short header", in: []byte{0, 0}, max: max, wantErr: epp.ErrFrameTruncated, consumed: -1},
		{name: "three header bytes", in: []byte{0, 0, 0}, max: max, wantErr: epp.ErrFrameTruncated, consumed: -1},
		{name: "header only", in: frameHeader(10), max: max, wantErr: epp.ErrFrameTruncated, consumed: -1},
		{name: "truncated payload", in: append(frameHeader(10), "abc"...), max: max, wantErr: epp.ErrFrameTruncated, consumed: -1},
		{name: "one byte short", in: append(frameHeader(10), "abcde"...), max: max, wantErr: epp.ErrFrameTruncated, consumed: -1},
		{name: "clean EOF", in: nil, max: max, wantErr: io.EOF, consumed: 0},
		{name: "trailing bytes stay", in: append(frame("abc"), "next"...), max: max, want: "abc", consumed: 7},
	}
	for _, tc := range cases {
		for _, mode := range []string{"whole", "one byte at a time"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				cr := &countingReader{r: bytes.NewReader(tc.in)}
				var r io.Reader = cr
				if mode != "whole" {
					r = iotest.OneByteReader(cr)
				}
				got, err := epp.ReadFrame(r, tc.max)
				wantConsumed := tc.consumed
				if wantConsumed < 0 {
					wantConsumed = len(tc.in)
				}
				if cr.n != wantConsumed {
					t.Errorf("consumed %d bytes, want %d", cr.n, wantConsumed)
				}
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("error %v, want %v", err, tc.wantErr)
					}
					if got != nil {
						t.Errorf("payload %q returned with an error", got)
					}
					if tc.wantErr == io.EOF && err != io.EOF {
						t.Errorf("clean EOF must be io.EOF itself, got %#v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if string(got) != tc.want {
					t.Errorf("payload %q, want %q", got, tc.want)
				}
			})
		}
	}
}

func TestReadFrameSizeError(t *testing.T) {
	_, err := epp.ReadFrame(bytes.NewReader(frameHeader(1000)), 100)
	var fse *epp.FrameSizeError
	if !errors.As(err, &fse) {
		t.Fatalf("error %T %v, want *FrameSizeError", err, err)
	}
	if fse.Length != 1000 || fse.Max != 100 || fse.Err != epp.ErrFrameTooLarge {
		t.Errorf("got %+v", fse)
	}
	if errors.Is(err, epp.ErrFrameHeader) {
		t.Error("a too large frame must not match ErrFrameHeader")
	}
	if !strings.Contains(err.Error(), "1000") || !strings.Contains(err.Error(), "100") {
		t.Errorf("message %q names neither length nor maximum", err)
	}

	_, err = epp.ReadFrame(bytes.NewReader(frameHeader(3)), 100)
	if !errors.As(err, &fse) || fse.Length != 3 || fse.Err != epp.ErrFrameHeader {
		t.Errorf("header 3: got %v", err)
	}
	if errors.Is(err, epp.ErrFrameTooLarge) {
		t.Error("a bad header must not match ErrFrameTooLarge")
	}
}

func TestReadFrameReaderErrors(t *testing.T) {
	boom := errors.New("boom")
	// An error other than EOF is passed through, in the header and in the
	// payload.
	if _, err := epp.ReadFrame(iotest.ErrReader(boom), 100); !errors.Is(err, boom) {
		t.Errorf("header: got %v, want boom", err)
	}
	r := io.MultiReader(bytes.NewReader(append(frameHeader(10), "ab"...)), iotest.ErrReader(boom))
	if _, err := epp.ReadFrame(r, 100); !errors.Is(err, boom) {
		t.Errorf("payload: got %v, want boom", err)
	}
	// A reader that returns the last bytes together with io.EOF still
	// yields the frame.
	data := frame("hello")
	if got, err := epp.ReadFrame(iotest.DataErrReader(bytes.NewReader(data)), 100); err != nil || string(got) != "hello" {
		t.Errorf("data with EOF: got %q, %v", got, err)
	}
}

func TestReadFrameBackToBack(t *testing.T) {
	var stream bytes.Buffer
	payloads := []string{"<epp>first</epp>", "x", strings.Repeat("z", 1000), "<epp>last</epp>"}
	for _, p := range payloads {
		stream.Write(frame(p))
	}
	for _, mode := range []string{"whole", "one byte at a time"} {
		t.Run(mode, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(stream.Bytes())
			if mode != "whole" {
				r = iotest.OneByteReader(r)
			}
			for i, want := range payloads {
				got, err := epp.ReadFrame(r, 1<<10)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if string(got) != want {
					t.Fatalf("frame %d: got %q, want %q", i, got, want)
				}
			}
			if _, err := epp.ReadFrame(r, 1<<10); err != io.EOF {
				t.Errorf("after the last frame: got %v, want io.EOF", err)
			}
		})
	}
}

// writeCounter records each Write call.
type writeCounter struct {
	bytes.Buffer
	calls int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.calls++
	return w.Buffer.Write(p)
}

func TestWriteFrameRoundTrip(t *testing.T) {
	for _, size := range []int{1, 2, 100, 4096, 65536} {
		payload := bytes.Repeat([]byte("e"), size)
		payload[0] = '<'
		var w writeCounter
		if err := epp.WriteFrame(&w, payload); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if w.calls != 1 {
			t.Errorf("size %d: %d writes, want header and payload in one", size, w.calls)
		}
		if w.Len() != size+4 {
			t.Fatalf("size %d: wrote %d bytes, want %d", size, w.Len(), size+4)
		}
		if n := binary.BigEndian.Uint32(w.Bytes()); n != uint32(size+4) {
			t.Errorf("size %d: header says %d, want %d", size, n, size+4)
		}
		got, err := epp.ReadFrame(&w, size)
		if err != nil {
			t.Fatalf("size %d: read back: %v", size, err)
		}
		if !bytes.Equal(got, payload) {
			t.Errorf("size %d: payload changed in the round trip", size)
		}
		if w.Len() != 0 {
			t.Errorf("size %d: %d bytes left over", size, w.Len())
		}
	}
}

func TestWriteFrameError(t *testing.T) {
	boom := errors.New("boom")
	if err := epp.WriteFrame(errWriter{boom}, []byte("<epp/>")); !errors.Is(err, boom) {
		t.Errorf("got %v, want the writer's error", err)
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func FuzzReadFrame(f *testing.F) {
	seeds := [][]byte{
		nil,
		{0},
		{0, 0},
		{0, 0, 0},
		frameHeader(0),
		frameHeader(4),
		frameHeader(5),
		frame("x"),
		frame("<epp/>"),
		append(frame("a"), frame("b")...),
		append(frameHeader(20), "short"...),
		frameHeader(1<<32 - 1),
		frameHeader(1 << 31),
		frame(strings.Repeat("m", 64)),
		frame(strings.Repeat("m", 65)),
		append(frame("abc"), 0, 0),
	}
	for _, s := range seeds {
		f.Add(s, uint16(64))
	}
	f.Add(frame("abc"), uint16(0))
	f.Add(frame("abc"), uint16(3))
	f.Add(frame("abc"), uint16(2))
	f.Fuzz(func(t *testing.T, data []byte, max16 uint16) {
		max := int(max16)
		cr := &countingReader{r: bytes.NewReader(data)}
		payload, err := epp.ReadFrame(cr, max)
		if err != nil {
			if payload != nil {
				t.Fatalf("payload returned with error %v", err)
			}
			switch {
			case err == io.EOF:
				if len(data) != 0 {
					t.Fatalf("io.EOF with %d bytes of input", len(data))
				}
			case errors.Is(err, epp.ErrFrameTooLarge), errors.Is(err, epp.ErrFrameHeader):
				if cr.n != 4 {
					t.Fatalf("%v after consuming %d bytes, want the header only", err, cr.n)
				}
			case errors.Is(err, epp.ErrFrameTruncated):
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(payload) > max {
			t.Fatalf("payload of %d bytes exceeds max %d", len(payload), max)
		}
		if len(payload) == 0 {
			t.Fatal("empty payload returned without error")
		}
		if cr.n != len(payload)+4 {
			t.Fatalf("consumed %d bytes for a %d-byte payload", cr.n, len(payload))
		}
		var out bytes.Buffer
		if err := epp.WriteFrame(&out, payload); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), data[:cr.n]) {
			t.Fatalf("re-encoding %x differs from the consumed input %x", out.Bytes(), data[:cr.n])
		}
	})
}
