//! The header at the start of every pubsub payload, so a subscriber can compute latency, loss,
//! duplicates and order per publisher: magic, publisher id, sequence number, intended and actual
//! send times.

use bytes::{BufMut, Bytes, BytesMut};

pub const LEN: usize = 32;
const MAGIC: &[u8; 4] = b"mth1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub publisher: u32,
    pub seq: u64,
    /// Unix time in nanoseconds at which the message was meant to be sent.
    pub intended_ns: u64,
    /// ... and at which it was handed to the connection.
    pub sent_ns: u64,
}

impl Header {
    /// A payload of `size` bytes that starts with this header; one too small for the header is
    /// sent as asked, without it (pubsub, which needs it, refuses such sizes up front).
    pub fn payload(&self, size: usize) -> Bytes {
        if size < LEN {
            return Bytes::from(vec![b'.'; size]);
        }
        let mut buf = BytesMut::with_capacity(size);
        buf.put_slice(MAGIC);
        buf.put_u32(self.publisher);
        buf.put_u64(self.seq);
        buf.put_u64(self.intended_ns);
        buf.put_u64(self.sent_ns);
        buf.resize(size, b'.');
        buf.freeze()
    }

    pub fn read(payload: &[u8]) -> Option<Header> {
        let head = payload.get(..LEN)?;
        if &head[..4] != MAGIC {
            return None;
        }
        Some(Header {
            publisher: u32::from_be_bytes(head[4..8].try_into().ok()?),
            seq: u64::from_be_bytes(head[8..16].try_into().ok()?),
            intended_ns: u64::from_be_bytes(head[16..24].try_into().ok()?),
            sent_ns: u64::from_be_bytes(head[24..32].try_into().ok()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let h = Header {
            publisher: 7,
            seq: 123_456_789_012,
            intended_ns: 1_795_000_000_123_456_789,
            sent_ns: 1_795_000_000_123_556_789,
        };
        let payload = h.payload(64);
        assert_eq!(payload.len(), 64);
        assert_eq!(Header::read(&payload), Some(h));
        assert_eq!(Header::read(b"short"), None);
        assert_eq!(h.payload(5).as_ref(), b".....");
        assert_eq!(Header::read(&[0u8; 40]), None);
    }
}
