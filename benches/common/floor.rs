//! The floor: the least work any CORS layer does for the measured requests, as a
//! reference point beside the real layers. It is not a CORS layer: it validates nothing.
//!
//! For each request it reads the headers the decision needs (`Origin`; for a preflight
//! also `Access-Control-Request-Method` and `Access-Control-Request-Headers`, whose
//! values it does not parse), compares the origin with the one allowed origin, and gives
//! the response a clone of a header map built in advance for exactly that answer — the
//! cheapest way the `http` crate offers to fill an empty header map (no hashing, one copy,
//! the map's two allocations). Its future and body are the inner service's own, unwrapped.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower::Service;

use super::ALLOWED_ORIGIN;

/// The precomputed answers.
#[derive(Debug)]
pub struct Maps {
    allowed_origin: HeaderValue,
    /// `Vary: Origin`.
    vary: HeaderMap,
    /// The allowed origin's actual response headers.
    allowed: HeaderMap,
    /// The allowed origin's preflight answer.
    preflight: HeaderMap,
}

/// The floor service around `S`.
#[derive(Clone, Debug)]
pub struct Floor<S> {
    inner: S,
    maps: Arc<Maps>,
}

impl<S> Floor<S> {
    /// The floor for the benchmarks' configuration (credentials, methods GET POST,
    /// headers content-type authorization, max-age 600).
    pub fn new(inner: S) -> Self {
        let v = HeaderValue::from_static;
        let allowed_origin = HeaderValue::from_static(ALLOWED_ORIGIN);
        let mut vary = HeaderMap::new();
        vary.insert(VARY, v("Origin"));
        let mut allowed = HeaderMap::new();
        allowed.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allowed_origin.clone());
        allowed.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, v("true"));
        allowed.insert(VARY, v("Origin"));
        let mut preflight = HeaderMap::new();
        preflight.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allowed_origin.clone());
        preflight.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, v("true"));
        preflight.insert(ACCESS_CONTROL_ALLOW_METHODS, v("GET,POST"));
        preflight.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            v("authorization,content-type"),
        );
        preflight.insert(ACCESS_CONTROL_MAX_AGE, v("600"));
        preflight.insert(
            VARY,
            v("Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        );
        Self {
            inner,
            maps: Arc::new(Maps {
                allowed_origin,
                vary,
                allowed,
                preflight,
            }),
        }
    }
}

impl<S, B, RB> Service<Request<B>> for Floor<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    RB: Default,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = FloorFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let headers = req.headers();
        let m = &*self.maps;
        let which = match headers.get(ORIGIN) {
            None => Which::Vary,
            Some(_)
                if req.method() == Method::OPTIONS
                    && headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD)
                    && headers.contains_key(ACCESS_CONTROL_REQUEST_HEADERS) =>
            {
                return FloorFuture::Answer {
                    headers: Some(m.preflight.clone()),
                };
            }
            Some(o) if *o == m.allowed_origin => Which::Allowed,
            Some(_) => Which::Vary,
        };
        FloorFuture::Forward {
            future: self.inner.call(req),
            maps: self.maps.clone(),
            which,
        }
    }
}

/// Which precomputed map a forwarded response gets.
#[derive(Clone, Copy, Debug)]
pub enum Which {
    Vary,
    Allowed,
}

pin_project! {
    /// Response future of [`Floor`].
    #[project = FloorProj]
    pub enum FloorFuture<F> {
        Forward { #[pin] future: F, maps: Arc<Maps>, which: Which },
        Answer { headers: Option<HeaderMap> },
    }
}

impl<F, RB, E> Future for FloorFuture<F>
where
    F: Future<Output = Result<Response<RB>, E>>,
    RB: Default,
{
    type Output = Result<Response<RB>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            FloorProj::Forward {
                future,
                maps,
                which,
            } => {
                let mut response = ready!(future.poll(cx))?;
                *response.headers_mut() = match which {
                    Which::Vary => maps.vary.clone(),
                    Which::Allowed => maps.allowed.clone(),
                };
                Poll::Ready(Ok(response))
            }
            FloorProj::Answer { headers } => {
                let mut response = Response::new(RB::default());
                *response.status_mut() = StatusCode::NO_CONTENT;
                *response.headers_mut() = headers.take().unwrap_or_default();
                Poll::Ready(Ok(response))
            }
        }
    }
}
