//! The fake IAI a client talks to: a wiremock server on loopback that
//! serves a case's answers in turn and records every request.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::reply::Served;

/// Serves the n-th answer to the n-th request, the last one after that.
struct Sequence {
    answers: Vec<Served>,
    delay: Duration,
    next: AtomicUsize,
}

impl Respond for Sequence {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let answer = &self.answers[n.min(self.answers.len() - 1)];
        let mut template = ResponseTemplate::new(answer.status).set_body_bytes(answer.body.clone());
        if let Some(ct) = &answer.content_type {
            template = template.insert_header("content-type", ct.as_str());
        }
        if !self.delay.is_zero() {
            template = template.set_delay(self.delay);
        }
        template
    }
}

/// A running fake server for one case.
pub(crate) struct FakeServer {
    server: MockServer,
}

impl FakeServer {
    pub(crate) async fn start(answers: Vec<Served>, delay: Duration) -> Self {
        assert!(!answers.is_empty(), "a case serves at least one answer");
        let server = MockServer::builder().start().await;
        Mock::given(any())
            .respond_with(Sequence {
                answers,
                delay,
                next: AtomicUsize::new(0),
            })
            .mount(&server)
            .await;
        Self { server }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn endpoint(&self) -> String {
        self.server.uri()
    }

    /// `127.0.0.1:PORT`: the Host a client of [`Self::endpoint`] sends.
    pub(crate) fn authority(&self) -> String {
        self.server.address().to_string()
    }

    /// Every request received so far, in order.
    pub(crate) async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }
}
