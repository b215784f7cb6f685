//! Synthetic faces: what the emulator "sees" in an image, as a pure,
//! deterministic function of the image's bytes.
//!
//! - **Identity.** Unless the image says otherwise, it holds one face whose
//!   identity is a hash of the whole content: the same bytes are the same
//!   person, different bytes different people.
//! - **Told identity.** A PNG `tEXt` chunk with keyword `iai-face`, or a JPEG
//!   comment (`COM`) segment starting `iai-face `, holds `key=value` pairs
//!   separated by `;`: `identity=alice` (comma-separated names for several
//!   faces: `identity=alice,bob`), `faces=N` (0 to 10; `0` is "no face"; a
//!   face beyond the named ones is `{first name}#{i}`), `quality=Q` (0 to 100,
//!   the quality score of every face; default 90 to 100 from the hash).
//! - **Format and size** from the header: PNG `IHDR`, JPEG `SOFn`, BMP
//!   `BITMAPINFOHEADER`. An image whose magic is right but whose header
//!   cannot be read is taken as 640×480.
//! - **Geometry.** Faces sit side by side, largest first, each inside the
//!   image; landmarks, attributes and quality derive from the face's hash.
//!
//! Scores ([`score`]): the same identity scores 100 (the top of the
//! documented 0 to 100 range); two different identities score
//! `(h mod 3000) / 100`, in [0, 30), where `h` is the first 8 bytes (big
//! endian) of SHA-256(`"iai-face pair\n" + min + ":" + max`) over the two
//! identities in decimal. Every documented threshold (VerifyPerson's
//! IsMatch at 60, the 40/50/60 and 70/80/90 false-accept points) lies above
//! 30, so a stranger never matches and a search ranks the right person
//! first.

use sha2::{Digest as _, Sha256};

/// The keyword of a PNG text chunk, and the prefix of a JPEG comment.
pub const KEYWORD: &str = "iai-face";
/// Most faces an image may hold.
pub const MAX_FACES: usize = 10;
/// The size assumed when a header cannot be read.
pub const DEFAULT_SIZE: (u32, u32) = (640, 480);

/// An image format the API accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// PNG (`89 PNG`).
    Png,
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// BMP (`BM`).
    Bmp,
}

/// A face box, inside the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// Left edge, pixels from the image's left.
    pub x: u32,
    /// Top edge, pixels from the image's top.
    pub y: u32,
    /// Width in pixels, at least 1.
    pub width: u32,
    /// Height in pixels, at least 1.
    pub height: u32,
}

/// One detected face.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Face {
    /// Who the face is: equal identities are the same person.
    pub identity: u64,
    /// Where the face is.
    pub rect: Rect,
    /// Quality score, 0 to 100.
    pub quality: u32,
    /// A hash of the face for attributes and landmarks.
    seed: u64,
}

/// What an image holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// The format its header says.
    pub format: Format,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Largest first.
    pub faces: Vec<Face>,
}

/// Why bytes are not an image.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    /// Not a PNG, JPEG or BMP.
    #[error("not a png, jpeg or bmp image")]
    Unsupported,
}

fn hash64(parts: &[&[u8]]) -> u64 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let d = h.finalize();
    u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// The identity a name stands for.
pub fn identity_of_name(name: &str) -> u64 {
    hash64(&[b"iai-face identity\n", name.as_bytes()])
}

/// The identity of an image's content (or of a URL's text).
pub fn identity_of_content(bytes: &[u8]) -> u64 {
    hash64(&[b"iai-face content\n", bytes])
}

/// The documented score of two identities (see the module documentation).
pub fn score(a: u64, b: u64) -> f64 {
    if a == b {
        return 100.0;
    }
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    let h = hash64(&[b"iai-face pair\n", format!("{lo}:{hi}").as_bytes()]);
    (h % 3000) as f64 / 100.0
}

/// What an image's `iai-face` text says.
#[derive(Debug, Default, PartialEq, Eq)]
struct Told {
    names: Vec<String>,
    faces: Option<usize>,
    quality: Option<u32>,
}

fn parse_told(text: &str) -> Told {
    let mut told = Told::default();
    for pair in text.split(';') {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        match k.trim() {
            "identity" => {
                told.names = v
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string)
                    .collect();
            }
            "faces" => told.faces = v.trim().parse::<usize>().ok().map(|n| n.min(MAX_FACES)),
            "quality" => told.quality = v.trim().parse::<u32>().ok().map(|q| q.min(100)),
            _ => {}
        }
    }
    told
}

fn format_of(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(Format::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"BM") && bytes.len() >= 26 {
        Some(Format::Bmp)
    } else {
        None
    }
}

/// PNG: size from IHDR, text from the `iai-face` tEXt chunk.
fn png_header(bytes: &[u8]) -> (Option<(u32, u32)>, Option<String>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    match decoder.read_info() {
        Ok(reader) => {
            let info = reader.info();
            let text = info
                .uncompressed_latin1_text
                .iter()
                .find(|t| t.keyword == KEYWORD)
                .map(|t| t.text.clone());
            (Some((info.width, info.height)), text)
        }
        Err(_) => {
            let size = (bytes.len() >= 24 && &bytes[12..16] == b"IHDR").then(|| {
                let be = |i: usize| {
                    u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]])
                };
                (be(16), be(20))
            });
            (size, None)
        }
    }
}

/// JPEG: walks the marker segments up to the scan; size from SOFn, text
/// from a COM segment starting `iai-face `.
fn jpeg_header(bytes: &[u8]) -> (Option<(u32, u32)>, Option<String>) {
    let (mut size, mut text) = (None, None);
    let mut i = 2;
    while i + 4 <= bytes.len() && bytes[i] == 0xFF {
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            break;
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let Some(body) = bytes.get(i + 4..i + 2 + len.max(2)) else {
            break;
        };
        let sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if sof && body.len() >= 5 {
            let h = u32::from(u16::from_be_bytes([body[1], body[2]]));
            let w = u32::from(u16::from_be_bytes([body[3], body[4]]));
            size = Some((w, h));
        }
        if marker == 0xFE
            && text.is_none()
            && let Some(rest) = String::from_utf8_lossy(body).strip_prefix("iai-face ")
        {
            text = Some(rest.to_string());
        }
        i += 2 + len.max(2);
    }
    (size, text)
}

fn bmp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let le = |i: usize| i32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let (w, h) = (le(18), le(22));
    (w != 0 && h != 0).then(|| (w.unsigned_abs(), h.unsigned_abs()))
}

/// Reads an image: its format, size and faces.
pub fn analyze(bytes: &[u8]) -> Result<Image, ImageError> {
    let format = format_of(bytes).ok_or(ImageError::Unsupported)?;
    let (size, text) = match format {
        Format::Png => png_header(bytes),
        Format::Jpeg => jpeg_header(bytes),
        Format::Bmp => (bmp_size(bytes), None),
    };
    let (width, height) = size
        .filter(|(w, h)| *w > 0 && *h > 0)
        .unwrap_or(DEFAULT_SIZE);
    let told = text.as_deref().map(parse_told).unwrap_or_default();
    let content = identity_of_content(bytes);
    Ok(Image {
        format,
        width,
        height,
        faces: layout(width, height, &told, content),
    })
}

/// What the emulator sees at a URL it never fetches: one face whose
/// identity is the URL's text, in a 640×480 JPEG.
pub fn from_url(url: &str) -> Image {
    let (width, height) = DEFAULT_SIZE;
    Image {
        format: Format::Jpeg,
        width,
        height,
        faces: layout(
            width,
            height,
            &Told::default(),
            identity_of_content(url.as_bytes()),
        ),
    }
}

fn layout(width: u32, height: u32, told: &Told, content: u64) -> Vec<Face> {
    let n = told.faces.unwrap_or(told.names.len().max(1));
    let n32 = u32::try_from(n).unwrap_or(1).max(1);
    let column = (width / n32).max(1);
    (0..n)
        .map(|i| {
            let identity = match (told.names.get(i), told.names.first()) {
                (Some(name), _) => identity_of_name(name),
                (None, Some(first)) => identity_of_name(&format!("{first}#{i}")),
                (None, None) if i == 0 => content,
                (None, None) => hash64(&[&content.to_be_bytes(), &i.to_be_bytes()]),
            };
            let seed = hash64(&[
                b"iai-face face\n",
                &identity.to_be_bytes(),
                &i.to_be_bytes(),
            ]);
            let i32_ = u32::try_from(i).unwrap_or(0);
            // Largest first: each face 8 % smaller than the one before.
            let base = column.min(height);
            let side = (base * (80 - 8 * i32_.min(9)) / 100).max(1).min(base);
            let w = side.min(column);
            let h = side.min(height);
            // A tiny image packs faces over each other, still inside it.
            let x = (i32_ * column + (column - w) / 2).min(width - w);
            let room = height - h;
            let y = if room == 0 {
                0
            } else {
                (seed % u64::from(room + 1)) as u32
            };
            Face {
                identity,
                rect: Rect {
                    x,
                    y,
                    width: w,
                    height: h,
                },
                quality: told.quality.unwrap_or(90 + (seed % 11) as u32),
                seed,
            }
        })
        .collect()
}

impl Face {
    /// A value in `lo..=hi` from the face's hash, distinct per `salt`.
    pub fn attribute(&self, salt: u8, lo: i64, hi: i64) -> i64 {
        let h = hash64(&[&self.seed.to_be_bytes(), &[salt]]);
        lo + (h % u64::try_from(hi - lo + 1).unwrap_or(1)) as i64
    }

    /// A point inside the face box, from the face's hash.
    pub fn point(&self, salt: u8) -> (u32, u32) {
        let h = hash64(&[&self.seed.to_be_bytes(), b"point", &[salt]]);
        let r = self.rect;
        (
            r.x + (h % u64::from(r.width)) as u32,
            r.y + ((h >> 32) % u64::from(r.height)) as u32,
        )
    }
}

/// Writes a PNG of `width`×`height` grey pixels whose `iai-face` text says
/// `identity` and `faces`. The pixels are a function of the text, so two
/// images of the same identity are the same bytes.
pub fn make_png(
    identity: &str,
    faces: usize,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width.max(1), height.max(1));
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.add_text_chunk(
            KEYWORD.to_string(),
            format!("identity={identity};faces={faces}"),
        )?;
        let mut writer = encoder.write_header()?;
        let shade = (identity_of_name(identity) % 256) as u8;
        let pixels = vec![shade; (width.max(1) * height.max(1)) as usize];
        writer.write_image_data(&pixels)?;
        writer.finish()?;
    }
    Ok(out)
}

/// A minimal JPEG for tests: SOI, an optional `iai-face` comment, a
/// baseline frame header of `w` x `h`, an empty scan, EOI.
#[cfg(test)]
pub(crate) fn test_jpeg(comment: Option<&str>, w: u16, h: u16) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, b'J', b'F'];
    if let Some(c) = comment {
        let body = format!("iai-face {c}");
        b.extend([0xFF, 0xFE]);
        b.extend(u16::try_from(body.len() + 2).unwrap().to_be_bytes());
        b.extend(body.as_bytes());
    }
    b.extend([0xFF, 0xC0, 0, 11, 8]);
    b.extend(h.to_be_bytes());
    b.extend(w.to_be_bytes());
    b.extend([1, 1, 0x11, 0]);
    b.extend([0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_told_png_round_trips() {
        let png = make_png("alice", 2, 32, 16).unwrap();
        let img = analyze(&png).unwrap();
        assert_eq!((img.format, img.width, img.height), (Format::Png, 32, 16));
        assert_eq!(img.faces.len(), 2);
        assert_eq!(img.faces[0].identity, identity_of_name("alice"));
        assert_eq!(img.faces[1].identity, identity_of_name("alice#1"));
        assert!(img.faces[0].rect.width >= img.faces[1].rect.width);
        // Same identity, other size: other bytes, same person.
        let again = analyze(&make_png("alice", 1, 8, 8).unwrap()).unwrap();
        assert_eq!(again.faces[0].identity, img.faces[0].identity);
        assert!(
            analyze(&make_png("alice", 0, 8, 8).unwrap())
                .unwrap()
                .faces
                .is_empty()
        );
    }

    #[test]
    fn faces_lie_inside_the_image() {
        for (w, h, n) in [
            (8, 8, 1),
            (8, 8, 10),
            (1, 1, 3),
            (640, 480, 4),
            (20, 500, 2),
        ] {
            let img = analyze(&make_png("x", n, w, h).unwrap()).unwrap();
            assert_eq!(img.faces.len(), n);
            for f in &img.faces {
                let r = f.rect;
                assert!(r.width >= 1 && r.height >= 1);
                assert!(r.x + r.width <= w && r.y + r.height <= h, "{w}x{h}: {r:?}");
                let (px, py) = f.point(3);
                assert!(px < w && py < h);
                assert!((0..=100).contains(&f.attribute(1, 0, 100)));
            }
        }
    }

    #[test]
    fn an_untold_image_is_its_content() {
        let a = analyze(&test_jpeg(None, 100, 50)).unwrap();
        assert_eq!((a.format, a.width, a.height), (Format::Jpeg, 100, 50));
        assert_eq!(a.faces.len(), 1);
        let b = analyze(&test_jpeg(None, 101, 50)).unwrap();
        assert_ne!(a.faces[0].identity, b.faces[0].identity);
        assert_eq!(analyze(&test_jpeg(None, 100, 50)).unwrap(), a);
        // Magic only: the default size, one face.
        let bare = analyze(b"\x89PNG\r\n\x1a\n....").unwrap();
        assert_eq!((bare.width, bare.height, bare.faces.len()), (640, 480, 1));
        assert_eq!(analyze(b"GIF89a......"), Err(ImageError::Unsupported));
    }

    #[test]
    fn a_jpeg_comment_tells_who_is_there() {
        let img = analyze(&test_jpeg(Some("identity=bob,carol;quality=20"), 64, 64)).unwrap();
        assert_eq!(img.faces.len(), 2);
        assert_eq!(img.faces[1].identity, identity_of_name("carol"));
        assert_eq!(img.faces[0].quality, 20);
        assert!(
            analyze(&test_jpeg(Some("faces=0"), 64, 64))
                .unwrap()
                .faces
                .is_empty()
        );
    }

    #[test]
    fn bmp_size_comes_from_its_header() {
        let mut b = vec![0u8; 54];
        b[0..2].copy_from_slice(b"BM");
        b[18..22].copy_from_slice(&300i32.to_le_bytes());
        b[22..26].copy_from_slice(&(-200i32).to_le_bytes());
        let img = analyze(&b).unwrap();
        assert_eq!((img.format, img.width, img.height), (Format::Bmp, 300, 200));
    }

    #[test]
    fn scores_follow_the_documented_formula() {
        let (a, b) = (identity_of_name("alice"), identity_of_name("bob"));
        assert_eq!(score(a, a), 100.0);
        assert_eq!(score(a, b), score(b, a));
        for i in 0..500 {
            let s = score(a, identity_of_name(&format!("p{i}")));
            assert!((0.0..30.0).contains(&s), "{s}");
        }
        // Pinned: the formula is stable across releases.
        let h = hash64(&[
            b"iai-face pair\n",
            format!("{}:{}", a.min(b), a.max(b)).as_bytes(),
        ]);
        assert_eq!(score(a, b), (h % 3000) as f64 / 100.0);
    }

    #[test]
    fn urls_are_identities_too() {
        let a = from_url("http://x/a.jpg");
        assert_eq!(a, from_url("http://x/a.jpg"));
        assert_ne!(
            a.faces[0].identity,
            from_url("http://x/b.jpg").faces[0].identity
        );
    }
}
