//! The gRPC-web framing a browser client uses (the service is the one of
//! `examples/grpc_web.rs`).

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// A gRPC-web (binary) request body: one uncompressed message frame.
pub fn grpc_web_frame(message: &impl prost::Message) -> Bytes {
    let encoded = message.encode_to_vec();
    let mut frame = BytesMut::with_capacity(5 + encoded.len());
    frame.put_u8(0);
    frame.put_u32(u32::try_from(encoded.len()).expect("small message"));
    frame.put_slice(&encoded);
    frame.freeze()
}

/// Splits a gRPC-web response body into its message and its trailers
/// (`name:value` lines of the trailer frame).
pub fn parse_grpc_web_body(mut body: Bytes) -> (Vec<Bytes>, Vec<(String, String)>) {
    let mut messages = Vec::new();
    let mut trailers = Vec::new();
    while body.remaining() >= 5 {
        let flags = body.get_u8();
        let len = body.get_u32() as usize;
        let data = body.split_to(len);
        if flags & 0x80 == 0 {
            messages.push(data);
        } else {
            for line in String::from_utf8_lossy(&data).split("\r\n") {
                if let Some((k, v)) = line.split_once(':') {
                    trailers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
            }
        }
    }
    assert!(body.is_empty(), "trailing bytes in a gRPC-web body");
    (messages, trailers)
}
