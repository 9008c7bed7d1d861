//! SHA-256 as neuroflow uses it: of a text, of pieces of text, of a file.

use sha2::Digest;
use std::io::Read;
use std::path::Path;

pub fn sha256_text(text: &str) -> String {
    format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
}

/// The SHA-256 of pieces of text, each followed by a newline (no joined copy; not
/// the digest of the same text given whole).
pub fn sha256_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(b"\n");
    }
    format!("{:x}", h.finalize())
}

/// The SHA-256 of a file, read in 1 MiB blocks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_digests_are_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("img.sif");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(sha256_file(&p).unwrap(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(sha256_text("abc"), sha256_file(&p).unwrap());
    }
}
