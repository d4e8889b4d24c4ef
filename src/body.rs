//! [`CorsBody`]: the response body of [`CorsService`](crate::CorsService).

use std::pin::Pin;
use std::task::{Context, Poll};

use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

pin_project! {
    /// The inner service's body, or the short body of an answer the layer
    /// gave itself (an empty preflight answer, or the reason of a `403`).
    ///
    /// Implements [`http_body::Body`] with the inner body's `Data` and
    /// `Error` types, for any data type that can be made from a static byte
    /// slice (such as [`bytes::Bytes`]), so it needs no `Default` bound.
    pub struct CorsBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner { #[pin] body: B },
        // Empty once read (and for a preflight answer): `&str` keeps the
        // wrapper as small as possible around a zero-sized body.
        Text { text: &'static str },
    }
}

impl<B> CorsBody<B> {
    /// Wraps an inner body.
    pub(crate) fn new(body: B) -> Self {
        Self {
            kind: Kind::Inner { body },
        }
    }

    pub(crate) fn text(text: &'static str) -> Self {
        Self {
            kind: Kind::Text { text },
        }
    }

    /// The inner body, or `None` for an answer the layer gave itself.
    pub fn into_inner(self) -> Option<B> {
        match self.kind {
            Kind::Inner { body } => Some(body),
            Kind::Text { .. } => None,
        }
    }
}

impl<B> std::fmt::Debug for CorsBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Kind::Inner { .. } => f.write_str("CorsBody::Inner"),
            Kind::Text { text } => f.debug_tuple("CorsBody::Text").field(text).finish(),
        }
    }
}

impl<B> Body for CorsBody<B>
where
    B: Body,
    B::Data: From<&'static [u8]>,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Text { text } => Poll::Ready(
                Some(std::mem::take(text))
                    .filter(|t| !t.is_empty())
                    .map(|t| Ok(Frame::data(B::Data::from(t.as_bytes())))),
            ),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Text { text } => text.is_empty(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Text { text } => SizeHint::with_exact(text.len() as u64),
        }
    }
}
