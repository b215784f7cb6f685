//! Arbitrary requests, signed and unsigned: every answer is a valid
//! envelope (`envelope::check`).

use iai_conformance::emulator::{Config, Emulator};
use iai_conformance::envelope;
use iai_conformance::{CallOptions, Client, Style, now};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| Value::Number(i.into())),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        ".{0,12}".prop_map(Value::String),
        "[A-Za-z0-9%@#&_-]{1,70}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(name(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "PersonId",
            "GroupId",
            "PersonName",
            "GroupName",
            "Gender",
            "Image",
            "Url",
            "Urls",
            "Images",
            "FaceIds",
            "GroupIds",
            "Offset",
            "Limit",
            "Tag",
            "GroupExDescriptions",
            "FaceModelVersion",
            "PersonExDescriptionInfos",
            "PersonExDescriptionIndex",
            "PersonExDescription",
            "GroupExDescriptionInfos",
            "QualityControl",
            "FaceMatchThreshold",
        ])
        .prop_map(str::to_string),
        "[A-Za-z]{1,8}",
    ]
}

fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        // every action the catalog knows (all 35 are covered)
        prop::sample::select(
            iai_conformance::Catalog::get()
                .actions()
                .iter()
                .map(|a| a.name.clone())
                .chain(["DetectFace".to_string()])
                .collect::<Vec<_>>(),
        ),
        "[A-Za-z]{0,12}",
    ]
}

fn style() -> impl Strategy<Value = Style> {
    prop::sample::select(vec![
        Style::Tc3PostJson,
        Style::Tc3Get,
        Style::V1Get,
        Style::V1PostForm,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// Correctly signed calls with arbitrary parameters reach the deepest
    /// validation; whatever they say, the answer is an envelope.
    #[test]
    fn signed_calls_with_arbitrary_parameters_get_envelopes(
        calls in prop::collection::vec((action(), style(), prop::collection::btree_map(name(), json_value(), 0..5)), 1..8)
    ) {
        let rt = runtime();
        rt.block_on(async {
            let emu = Emulator::start(Config::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
            let c = Client::new(emu.url(), emu.credentials().clone(), None).unwrap();
            for (action, style, params) in calls {
                let params: Map<String, Value> = params.into_iter().collect();
                let x = c.call(&action, &params, &CallOptions::new(style, now())).await.unwrap();
                if let Err(m) = envelope::check(x.status, x.content_type.as_deref(), &x.body) {
                    panic!("{action} {style:?} {params:?}: {m:?}");
                }
            }
            emu.shutdown().await;
        });
    }

    /// Raw requests: any method, path, headers and body bytes.
    #[test]
    fn arbitrary_raw_requests_get_envelopes(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
        path in prop::sample::select(vec!["/", "/?Action=DeletePerson&Version=2020-03-03", "/x", "/?%ff%fe=%00"]),
        content_type in prop::option::of(prop::sample::select(vec![
            "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", "text/plain"])),
        authorization in prop::option::of("[ -~]{0,80}"),
        action in prop::option::of(action()),
        version in prop::option::of(prop::sample::select(vec!["2020-03-03", "2018-03-01", ""])),
        timestamp in prop::option::of(any::<i64>()),
        body in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let rt = runtime();
        rt.block_on(async {
            let emu = Emulator::start(Config::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
            let http = reqwest::Client::builder().no_proxy().build().unwrap();
            let mut rb = http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), format!("{}{path}", emu.url()));
            if let Some(ct) = content_type { rb = rb.header("Content-Type", ct); }
            if let Some(a) = &authorization { rb = rb.header("Authorization", a.trim()); }
            if let Some(a) = &action { rb = rb.header("X-TC-Action", a); }
            if let Some(v) = version { rb = rb.header("X-TC-Version", v); }
            if let Some(t) = timestamp { rb = rb.header("X-TC-Timestamp", t.to_string()); }
            let r = rb.body(body).send().await.unwrap();
            let status = r.status().as_u16();
            let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
            let bytes = r.bytes().await.unwrap();
            if method == "HEAD" {
                // A HEAD answer has no body by definition; the status and type still hold.
                assert_eq!((status, ct.as_deref()), (200, Some("application/json")));
            } else if let Err(m) = envelope::check(status, ct.as_deref(), &bytes) {
                panic!("{method} {path}: {m:?} {}", String::from_utf8_lossy(&bytes));
            }
            emu.shutdown().await;
        });
    }
}
