// Command genface writes the face photo every generated card carries in
// visual AP DF27: a greyscale head-and-shoulders silhouette encoded as JPEG
// 2000 in a JP2 container, as the real card stores it (card.md §4.3). Go's
// standard library cannot write JPEG 2000, so the photo is drawn here, then
// encoded once by OpenJPEG's opj_compress (Debian libopenjp2-tools) and
// committed; building and running mynacard needs neither.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
)

const photoW, photoH = 90, 120

func main() {
	out := flag.String("o", "data/face.jp2", "output JP2 file")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "genface:", err)
		os.Exit(1)
	}
}

func write(out string) error {
	dir, err := os.MkdirTemp("", "genface")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "face.png")
	f, err := os.Create(src)
	if err != nil {
		return err
	}
	if err := png.Encode(f, draw()); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// Rate 10 keeps the photo near 3 KiB, well inside the 15-bit offsets
	// of the card-face record.
	cmd := exec.Command("opj_compress", "-i", src, "-o", out, "-r", "10")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("opj_compress (apt-get install libopenjp2-tools): %w", err)
	}
	return nil
}

func draw() image.Image {
	img := image.NewGray(image.Rect(0, 0, photoW, photoH))
	const bg, face, body = 215, 170, 70
	for y := 0; y < photoH; y++ {
		for x := 0; x < photoW; x++ {
			c := uint8(bg - y/8)
			dx, dy := float64(x-photoW/2), float64(y-48)
			switch {
			case dx*dx/(22*22)+dy*dy/(28*28) <= 1:
				c = face - uint8(math.Abs(dx)/2)
			case y > 82 && dx*dx/(42*42)+float64(y-130)*float64(y-130)/(50*50) <= 1:
				c = body
			}
			img.SetGray(x, y, color.Gray{Y: c})
		}
	}
	return img
}
