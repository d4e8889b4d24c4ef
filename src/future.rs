//! [`ResponseFuture`]: the inner service's response, decorated.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::{HeaderMap, Response, StatusCode};
use pin_project_lite::pin_project;

use crate::body::CorsBody;
use crate::policy::{CorsPolicy, Decoration};

pin_project! {
    /// Response future of [`CorsService`](crate::CorsService).
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Forward {
            #[pin]
            future: F,
            policy: CorsPolicy,
            decoration: Option<Decoration>,
        },
        Answer {
            status: StatusCode,
            headers: HeaderMap,
            body: &'static str,
        },
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn forward(future: F, policy: CorsPolicy, decoration: Decoration) -> Self {
        Self {
            kind: Kind::Forward {
                future,
                policy,
                decoration: Some(decoration),
            },
        }
    }

    pub(crate) fn answer(status: StatusCode, headers: HeaderMap, body: &'static str) -> Self {
        Self {
            kind: Kind::Answer {
                status,
                headers,
                body,
            },
        }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<CorsBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Forward {
                future,
                policy,
                decoration,
            } => {
                let mut response = ready!(future.poll(cx))?;
                if let Some(decoration) = decoration.take() {
                    policy.decorate(decoration, response.headers_mut());
                }
                Poll::Ready(Ok(response.map(CorsBody::new)))
            }
            KindProj::Answer {
                status,
                headers,
                body,
            } => {
                let mut response = Response::new(CorsBody::text(std::mem::take(body)));
                *response.status_mut() = *status;
                *response.headers_mut() = std::mem::take(headers);
                // Polling again after completion yields an empty 500 rather
                // than panicking.
                *status = StatusCode::INTERNAL_SERVER_ERROR;
                Poll::Ready(Ok(response))
            }
        }
    }
}
