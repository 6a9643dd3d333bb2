//! Media files: the content type a name implies, the one the bytes really have, and whether a
//! file may be used for what it was imported for.

use serde::{Deserialize, Serialize};

use super::time::Millis;
use super::wire::wire_enum;

wire_enum!(
    /// Where a media file is in its life.
    MediaStatus { Optimizing => "optimizing", Ready => "ready", Failed => "failed" }
);
wire_enum!(
    /// What a media file is for: MMS attachments are brand-scoped, email assets org-scoped.
    MediaUsage { Mms => "mms", EmailAsset => "email_asset" }
);

/// The kinds of file the sandbox recognizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Jpeg,
    Png,
    Gif,
    Mp4,
    Mp3,
    Vcard,
    Pdf,
}

impl Kind {
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Gif => "image/gif",
            Kind::Mp4 => "video/mp4",
            Kind::Mp3 => "audio/mpeg",
            Kind::Vcard => "text/vcard",
            Kind::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Gif => "gif",
            Kind::Mp4 => "mp4",
            Kind::Mp3 => "mp3",
            Kind::Vcard => "vcf",
            Kind::Pdf => "pdf",
        }
    }

    /// From a file name's extension (case-insensitive).
    pub fn from_name(name: &str) -> Option<Kind> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "jpg" | "jpeg" | "jpe" => Kind::Jpeg,
            "png" => Kind::Png,
            "gif" => Kind::Gif,
            "mp4" | "m4v" | "mov" => Kind::Mp4,
            "mp3" => Kind::Mp3,
            "vcf" | "vcard" => Kind::Vcard,
            "pdf" => Kind::Pdf,
            _ => return None,
        })
    }

    /// From the bytes' magic numbers.
    pub fn sniff(bytes: &[u8]) -> Option<Kind> {
        let starts = |m: &[u8]| bytes.starts_with(m);
        if starts(&[0xFF, 0xD8, 0xFF]) {
            Some(Kind::Jpeg)
        } else if starts(b"\x89PNG\r\n\x1a\n") {
            Some(Kind::Png)
        } else if starts(b"GIF87a") || starts(b"GIF89a") {
            Some(Kind::Gif)
        } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
            Some(Kind::Mp4)
        } else if starts(b"ID3")
            || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0)
        {
            Some(Kind::Mp3)
        } else if starts(b"%PDF-") {
            Some(Kind::Pdf)
        } else if bytes
            .get(..11)
            .is_some_and(|b| b.eq_ignore_ascii_case(b"BEGIN:VCARD"))
        {
            Some(Kind::Vcard)
        } else {
            None
        }
    }

    pub fn is_video(self) -> bool {
        self == Kind::Mp4
    }
}

/// The file-name part of a ready file's stable URL: the name without its extension as a lowercase
/// ASCII slug (runs of anything else become one dash, so the URL needs no escaping), and the
/// extension of what the bytes really are.
pub fn stored_name(name: &str, kind: Kind) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let mut slug = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "media" } else { slug };
    format!("{slug}.{}", kind.extension())
}

/// The MMS size limit carriers enforce.
pub const MMS_MAX_BYTES: u64 = 5 * 1024 * 1024;
/// Email assets are images referenced by templates.
pub const EMAIL_ASSET_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Why a fetched file cannot be used for `usage`, if it cannot.
pub fn check(name_kind: Option<Kind>, bytes: &[u8], usage: MediaUsage) -> Result<Kind, String> {
    let sniffed = Kind::sniff(bytes);
    let kind = match (name_kind, sniffed) {
        (_, None) => {
            return Err(
                "the file's contents are not a supported media type (jpeg, png, gif, mp4, mp3, vcard, pdf)"
                    .into(),
            )
        }
        (Some(named), Some(real)) if named != real => {
            return Err(format!(
                "the file extension says {} but the contents are {}",
                named.content_type(),
                real.content_type()
            ))
        }
        (_, Some(real)) => real,
    };
    let size = bytes.len() as u64;
    match usage {
        MediaUsage::Mms if size > MMS_MAX_BYTES => Err(format!(
            "MMS media must be at most 5 MB; this file is {:.1} MB",
            size as f64 / 1_048_576.0
        )),
        MediaUsage::EmailAsset if !matches!(kind, Kind::Jpeg | Kind::Png | Kind::Gif) => {
            Err(format!(
                "email assets must be jpeg, png or gif images, not {}",
                kind.content_type()
            ))
        }
        MediaUsage::EmailAsset if size > EMAIL_ASSET_MAX_BYTES => Err(format!(
            "email assets must be at most 10 MB; this file is {:.1} MB",
            size as f64 / 1_048_576.0
        )),
        _ => Ok(kind),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaFile {
    pub id: String,
    pub org_id: String,
    pub brand_id: Option<String>,
    pub name: String,
    pub usage: MediaUsage,
    pub status: MediaStatus,
    /// From the name's extension; null when unknown.
    pub content_type: Option<String>,
    pub file_size_bytes: u64,
    pub storage_key: Option<String>,
    /// File name part of the stable URL (video is served as .mp4).
    pub stored_name: Option<String>,
    pub uploaded_via_api: bool,
    pub source_url: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: Millis,
    /// When optimization ends; in the future while optimizing.
    pub optimized_at: Option<Millis>,
    /// The bundled sample a seeded file was made from.
    pub seed_sample: Option<String>,
}

super::registry::owned!(MediaFile);

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F'];

    #[test]
    fn stored_names_are_ascii_slugs_with_the_real_extension() {
        assert_eq!(
            stored_name("GOTV Rally Flyer", Kind::Jpeg),
            "gotv-rally-flyer.jpg"
        );
        assert_eq!(
            stored_name("Rally_2026.final.PNG", Kind::Png),
            "rally-2026-final.png"
        );
        assert_eq!(stored_name("clip.mov", Kind::Mp4), "clip.mp4");
        assert_eq!(stored_name("Café Niño", Kind::Jpeg), "caf-ni-o.jpg");
        assert_eq!(stored_name("???", Kind::Gif), "media.gif");
    }

    #[test]
    fn names_and_bytes_are_recognized() {
        assert_eq!(Kind::from_name("Rally.JPEG"), Some(Kind::Jpeg));
        assert_eq!(Kind::from_name("clip.mov"), Some(Kind::Mp4));
        assert_eq!(Kind::from_name("notes.txt"), None);
        assert_eq!(Kind::sniff(PNG), Some(Kind::Png));
        assert_eq!(Kind::sniff(JPEG), Some(Kind::Jpeg));
        assert_eq!(Kind::sniff(b"\0\0\0\x18ftypmp42"), Some(Kind::Mp4));
        assert_eq!(Kind::sniff(b"begin:vcard\r\n"), Some(Kind::Vcard));
        assert_eq!(Kind::sniff(b"hello"), None);
    }

    #[test]
    fn mismatched_oversized_and_unsupported_files_fail_with_a_reason() {
        assert_eq!(check(Some(Kind::Png), PNG, MediaUsage::Mms), Ok(Kind::Png));
        assert_eq!(check(None, PNG, MediaUsage::Mms), Ok(Kind::Png));
        let lie = check(Some(Kind::Jpeg), PNG, MediaUsage::Mms).expect_err("mismatch");
        assert!(
            lie.contains("image/jpeg") && lie.contains("image/png"),
            "{lie}"
        );
        assert!(check(Some(Kind::Png), b"plain text", MediaUsage::Mms).is_err());
        let mut big = PNG.to_vec();
        big.resize(MMS_MAX_BYTES as usize + 1, 0);
        assert!(check(Some(Kind::Png), &big, MediaUsage::Mms)
            .expect_err("too big")
            .contains("5 MB"));
        assert_eq!(
            check(Some(Kind::Png), &big, MediaUsage::EmailAsset),
            Ok(Kind::Png)
        );
        assert!(check(None, b"%PDF-1.7", MediaUsage::EmailAsset).is_err());
    }
}
