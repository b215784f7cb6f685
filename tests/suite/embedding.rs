//! The emulator in another crate's tests, as wiremock is used: this file
//! uses only the public API (start, URL and credentials, seed, inject a
//! fault, stop), as a user's `#[tokio::test]` would.

use iai_conformance::emulator::{Config, ControlError, Emulator, FaultSpec};
use iai_conformance::envelope::{self, Outcome};
use iai_conformance::sign::Credentials;
use iai_conformance::{CallOptions, Client, Style, now};
use serde_json::json;

/// The "code under test": an application function that deletes a user's
/// face data and reports the service's error code.
async fn forget_user(url: &str, credentials: &Credentials, id: &str) -> Result<(), String> {
    let client = Client::new(url, credentials.clone(), None).map_err(|e| e.to_string())?;
    let params = json!({ "PersonId": id });
    let exchange = client
        .call(
            "DeletePerson",
            params.as_object().unwrap(),
            &CallOptions::new(Style::Tc3PostJson, now()),
        )
        .await
        .map_err(|e| e.to_string())?;
    let answer = envelope::check(
        exchange.status,
        exchange.content_type.as_deref(),
        &exchange.body,
    )
    .map_err(|m| format!("{m:?}"))?;
    match answer.outcome {
        Outcome::Success(_) => Ok(()),
        Outcome::Error { code, .. } => Err(code),
    }
}

#[tokio::test]
async fn a_test_starts_seeds_faults_and_stops_the_emulator_in_process() {
    let emulator = Emulator::start(Config::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (url, credentials) = (emulator.url().to_string(), emulator.credentials().clone());
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    assert_eq!(emulator.seed("app-users", "user-", 2).await.unwrap(), 2);
    assert_eq!(emulator.state().await.unwrap()["person_count"], 2);
    forget_user(&url, &credentials, "user-0").await.unwrap();
    assert_eq!(
        forget_user(&url, &credentials, "user-0").await,
        Err("InvalidParameterValue.PersonIdNotExist".into())
    );

    // the next call fails the way a busy backend does, then the fault is spent
    emulator
        .inject(FaultSpec {
            code: "FailedOperation.RequestTimeout".into(),
            action: Some("DeletePerson".into()),
            count: Some(1),
            ..FaultSpec::default()
        })
        .await
        .unwrap();
    assert_eq!(
        forget_user(&url, &credentials, "user-1").await,
        Err("FailedOperation.RequestTimeout".into())
    );
    forget_user(&url, &credentials, "user-1").await.unwrap();

    // a code outside the catalog is refused with the emulator's reason
    let refused = emulator
        .inject(FaultSpec {
            code: "NoSuch.Code".into(),
            ..FaultSpec::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, ControlError::Refused { status: 400, message, .. } if message.contains("NoSuch.Code")),
        "{refused}"
    );

    // a wrong key is refused as the cloud refuses it
    let wrong = Credentials::new(credentials.secret_id.clone(), "not-the-key");
    assert_eq!(
        forget_user(&url, &wrong, "user-1").await,
        Err("AuthFailure.SignatureFailure".into())
    );

    emulator.reset().await.unwrap();
    assert_eq!(emulator.state().await.unwrap()["person_count"], 0);
    emulator.shutdown().await;
    assert!(
        forget_user(&url, &credentials, "user-1").await.is_err(),
        "the emulator still answers after shutdown"
    );
}

#[tokio::test]
async fn faults_can_be_given_at_start_and_cleared() {
    let config = Config {
        faults: vec![FaultSpec::parse("code=InternalError,action=DeletePerson").unwrap()],
        ..Config::default()
    };
    let emulator = Emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (url, credentials) = (emulator.url().to_string(), emulator.credentials().clone());
    assert_eq!(
        forget_user(&url, &credentials, "x").await,
        Err("InternalError".into())
    );
    emulator.clear_faults().await.unwrap();
    assert_eq!(
        forget_user(&url, &credentials, "x").await,
        Err("InvalidParameterValue.PersonIdNotExist".into())
    );
    emulator.shutdown().await;
}

/// The README's Python and Node blocks are the example files CI runs.
#[test]
fn the_readme_shows_the_examples_ci_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme
        .split("## Using the emulator from your tests")
        .nth(1)
        .expect("README has the section")
        .split("\n## ")
        .next()
        .unwrap();
    for (fence, file) in [
        ("```python\n", "examples/python/test_with_emulator.py"),
        ("```js\n", "examples/node/emulator.test.mjs"),
    ] {
        let block = section
            .split(fence)
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap_or_else(|| panic!("no {fence:?} block in the section"));
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert_eq!(block, text, "the README's block differs from {file}");
    }
}
