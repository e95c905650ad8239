//! Little helpers for the binary formats: a bounds-checked reader.

/// A binary file or header could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} is malformed: {detail}")]
pub struct FormatError {
    /// What was being decoded.
    pub what: &'static str,
    /// What was wrong.
    pub detail: String,
}

impl FormatError {
    /// A new error.
    pub fn new(what: &'static str, detail: impl Into<String>) -> Self {
        Self {
            what,
            detail: detail.into(),
        }
    }
}

/// Reads little-endian fields from a byte slice, never past its end.
pub(crate) struct Reader<'a> {
    what: &'static str,
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(what: &'static str, data: &'a [u8]) -> Self {
        Self { what, data }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        if self.data.len() < n {
            return Err(FormatError::new(
                self.what,
                format!(
                    "ends early: wanted {n} more bytes, {} left",
                    self.data.len()
                ),
            ));
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, FormatError> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn id(&mut self) -> Result<[u8; 32], FormatError> {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.bytes(32)?);
        Ok(out)
    }

    /// A count of records of `record_len` bytes each, checked against what is left.
    pub(crate) fn count(&mut self, record_len: usize) -> Result<usize, FormatError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(record_len) > self.data.len() {
            return Err(FormatError::new(
                self.what,
                format!(
                    "claims {n} records but only {} bytes are left",
                    self.data.len()
                ),
            ));
        }
        Ok(n)
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len()
    }

    pub(crate) fn end(&self) -> Result<(), FormatError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(FormatError::new(
                self.what,
                format!("{} unexpected bytes at the end", self.data.len()),
            ))
        }
    }
}
