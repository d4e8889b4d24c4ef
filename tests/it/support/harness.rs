//! Drives a `CorsService` without a runtime: a trivial inner service that counts its calls,
//! futures polled with a no-op waker, and the response taken apart for the checks.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tower_cors::{CorsLayer, CorsPolicy, CorsService};
use tower_layer::Layer;
use tower_service::Service;

struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// Polls a future that needs no I/O to completion.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(NoopWake));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    for _ in 0..64 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("future still pending after 64 polls without any i/o");
}

/// The application behind the layer: answers 200 with fixed headers and counts its calls.
#[derive(Clone, Debug)]
pub(crate) struct Inner {
    pub(crate) calls: Arc<AtomicUsize>,
    pub(crate) headers: HeaderMap,
    pub(crate) status: StatusCode,
}

impl Inner {
    pub(crate) fn new(headers: HeaderMap) -> Self {
        Inner {
            calls: Arc::new(AtomicUsize::new(0)),
            headers,
            status: StatusCode::OK,
        }
    }
}

impl<B> Service<Request<B>> for Inner {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut response = Response::new(Full::new(Bytes::from_static(b"inner body")));
        *response.headers_mut() = self.headers.clone();
        *response.status_mut() = self.status;
        std::future::ready(Ok(response))
    }
}

/// Headers an application sets when it has nothing to do with CORS.
pub(crate) fn plain_inner_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("content-type", "text/plain".parse().expect("static"));
    h.insert("x-request-id", "42".parse().expect("static"));
    h.insert("x-total", "7".parse().expect("static"));
    h
}

/// Headers of an application that sets CORS headers itself (which the layer owns) and its
/// own `Vary`.
pub(crate) fn meddling_inner_headers() -> HeaderMap {
    let mut h = plain_inner_headers();
    h.insert("access-control-allow-origin", "*".parse().expect("static"));
    h.insert(
        "access-control-allow-credentials",
        "true".parse().expect("static"),
    );
    h.insert(
        "access-control-expose-headers",
        "x-leak".parse().expect("static"),
    );
    h.insert(
        "access-control-allow-methods",
        "DELETE".parse().expect("static"),
    );
    h.insert(
        "access-control-allow-private-network",
        "true".parse().expect("static"),
    );
    h.append("vary", "Accept-Encoding".parse().expect("static"));
    h
}

/// One request through `CorsLayer::new(policy)` around an [`Inner`].
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) inner_called: bool,
}

pub(crate) fn call(policy: &CorsPolicy, inner_headers: HeaderMap, req: Request<()>) -> Outcome {
    call_with_status(policy, inner_headers, StatusCode::OK, req)
}

/// [`call`] with an inner service answering `status`.
pub(crate) fn call_with_status(
    policy: &CorsPolicy,
    inner_headers: HeaderMap,
    status: StatusCode,
    req: Request<()>,
) -> Outcome {
    let mut inner = Inner::new(inner_headers);
    inner.status = status;
    let calls = inner.calls.clone();
    let mut service = CorsLayer::new(policy.clone()).layer(inner);
    let ready = block_on(std::future::poll_fn(|cx| {
        <_ as Service<Request<()>>>::poll_ready(&mut service, cx)
    }));
    // The inner service, and so the layer and its body, cannot fail.
    ready.unwrap_or_else(|e| match e {});
    let response = block_on(service.call(req)).unwrap_or_else(|e| match e {});
    let (parts, body) = response.into_parts();
    let body = block_on(body.collect())
        .unwrap_or_else(|e| match e {})
        .to_bytes();
    Outcome {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
        inner_called: calls.load(Ordering::SeqCst) > 0,
    }
}

/// An application whose answer (headers and status) is set before each call, so one
/// service can serve a sequence of requests.
#[derive(Clone, Debug)]
pub(crate) struct Switchable {
    calls: Arc<AtomicUsize>,
    answer: Arc<Mutex<(HeaderMap, StatusCode)>>,
}

impl<B> Service<Request<B>> for Switchable {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let (headers, status) = match self.answer.lock() {
            Ok(answer) => answer.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let mut response = Response::new(Full::new(Bytes::from_static(b"inner body")));
        *response.headers_mut() = headers;
        *response.status_mut() = status;
        std::future::ready(Ok(response))
    }
}

/// One service made by a layer (reloadable, per-path or fixed), kept across calls.
pub(crate) struct Served {
    service: CorsService<Switchable>,
    inner: Switchable,
}

impl Served {
    pub(crate) fn new(layer: &CorsLayer) -> Self {
        let inner = Switchable {
            calls: Arc::new(AtomicUsize::new(0)),
            answer: Arc::new(Mutex::new((HeaderMap::new(), StatusCode::OK))),
        };
        Served {
            service: layer.layer(inner.clone()),
            inner,
        }
    }

    /// One request; the application answers `status` with `inner_headers`.
    pub(crate) fn call(
        &mut self,
        inner_headers: HeaderMap,
        status: StatusCode,
        req: Request<()>,
    ) -> Outcome {
        match self.inner.answer.lock() {
            Ok(mut answer) => *answer = (inner_headers, status),
            Err(poisoned) => *poisoned.into_inner() = (inner_headers, status),
        }
        let before = self.inner.calls.load(Ordering::SeqCst);
        let service = &mut self.service;
        let ready = block_on(std::future::poll_fn(|cx| {
            <_ as Service<Request<()>>>::poll_ready(service, cx)
        }));
        ready.unwrap_or_else(|e| match e {});
        let response = block_on(self.service.call(req)).unwrap_or_else(|e| match e {});
        let (parts, body) = response.into_parts();
        let body = block_on(body.collect())
            .unwrap_or_else(|e| match e {})
            .to_bytes();
        Outcome {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            inner_called: self.inner.calls.load(Ordering::SeqCst) > before,
        }
    }
}
