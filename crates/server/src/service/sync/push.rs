//! Sync push (D3), protocol version 2: a batch in one transaction (one commit, one fsync),
//! together with its stream's `last_applied_seq`. What the batch needs is read first, each
//! mutation is decided in memory (`Batch`; a refused one changes nothing there), and what was
//! applied is written in a few statements. A seq the stream already holds (or this batch holds:
//! a batch may repeat one) is compared by fingerprint: the same content is a retry (answered as
//! it was the first time, rejections included), other content is a divergence that halts the
//! batch. A mutation the rules refuse is rolled back alone, recorded with its reason, and the
//! batch goes on.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use stint_api::sync::{
    fingerprint_of, Intent, Mutation, MutationResult, Outcome, PushResponse, MAX_MUTATIONS_PER_PUSH,
};
use stint_api::{ErrorBody, ErrorCode};
use stint_storage::{
    may, Capability, MutationOutcome, MutationRecord, Reason, RecordedMutation, Storage,
    WorkspaceScope,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::batch::Batch;
use crate::service::timers::{self, ApplyError};

/// A push's answer, and what the server should tell the user's other devices.
pub struct Pushed {
    pub response: PushResponse,
    /// Running timers that starts in this push stopped (T1).
    pub stopped_timers: Vec<Uuid>,
}

pub async fn push(
    storage: &dyn Storage,
    write: Capability<'_, may::Write>,
    stream_id: Uuid,
    mutations: &[Mutation],
    now: DateTime<Utc>,
) -> Result<Pushed, ApiError> {
    let scope = write.scope();
    check_batch(mutations)?;
    // A batch that failed (a PostgreSQL deadlock, a lock or pool timeout) left nothing behind:
    // trying it again is safe.
    let mut attempt: u32 = 0;
    let (arrived, mut looks) = (tokio::time::Instant::now(), 0);
    loop {
        let may_wait = arrived.elapsed() < AHEAD_WAIT;
        match push_batch(storage, scope, stream_id, mutations, now, may_wait).await {
            Ok(Some(pushed)) => return Ok(pushed),
            Ok(None) => {
                // Soon at first (the batch before it is usually being written), then less often:
                // a real gap costs a few transactions, not hundreds.
                looks += 1;
                tokio::time::sleep(AHEAD_POLL * looks.min(20)).await;
            }
            Err(error) if error.retryable && attempt < BUSY_RETRIES => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(5 << attempt)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Tries again of a push that failed for a passing reason, before answering its error.
const BUSY_RETRIES: u32 = 4;

/// A device keeps two batches on their way, and the second may overtake the first: a batch
/// that begins past its stream's end looks again (after 5 ms, 10 ms … at most 100 ms) for this
/// long before it is answered as a gap.
const AHEAD_WAIT: Duration = Duration::from_secs(1);
const AHEAD_POLL: Duration = Duration::from_millis(5);

/// What is wrong with a batch as sent, before anything is read or written.
fn check_batch(mutations: &[Mutation]) -> Result<(), ApiError> {
    if mutations.len() > MAX_MUTATIONS_PER_PUSH {
        return Err(ApiError::new(
            ErrorCode::TooManyMutations,
            format!(
                "at most {MAX_MUTATIONS_PER_PUSH} mutations per push, got {}",
                mutations.len()
            ),
        )
        .with_details(serde_json::json!({ "limit": MAX_MUTATIONS_PER_PUSH })));
    }
    // Below 1 would read as "already applied": a device's bug would pass as success.
    if let Some(index) = mutations.iter().position(|mutation| mutation.seq < 1) {
        return Err(ApiError::invalid(
            &format!("mutations[{index}].seq"),
            format!("sequence numbers start at 1, got {}", mutations[index].seq),
        ));
    }
    // A fingerprint of the wrong shape is a broken client, not a damaged change.
    let well_formed = |fingerprint: &str| {
        fingerprint.len() == 64
            && fingerprint
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    if let Some(index) = mutations.iter().position(|m| !well_formed(&m.fingerprint)) {
        return Err(ApiError::invalid(
            &format!("mutations[{index}].fingerprint"),
            "a fingerprint is 64 lowercase hex digits",
        ));
    }
    Ok(())
}

/// One try at a batch. None when it begins past the stream's end and `may_wait`: the batch
/// before it may still be on its way.
async fn push_batch(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    stream_id: Uuid,
    mutations: &[Mutation],
    now: DateTime<Utc>,
    may_wait: bool,
) -> Result<Option<Pushed>, ApiError> {
    let mut tx = storage.begin_in(scope).await?;
    // Locks the stream: two pushes on one stream take turns.
    let Some(mut last) = tx.lock_stream(scope, stream_id).await? else {
        return Err(ApiError::new(
            ErrorCode::StreamTaken,
            format!("stream {stream_id} belongs to another device or workspace"),
        ));
    };
    if may_wait && mutations.first().is_some_and(|m| m.seq > last + 1) {
        // Overtook the batch before it on the way, or a gap: left for `push` to decide.
        return Ok(None);
    }
    // Every intent of a push is about the pushing user's timers (T1 holds per user).
    tx.lock_user_timers(scope).await?;
    // What the stream holds already, to compare a seq sent again with; this batch's own
    // mutations join it as they are decided (a batch may repeat a seq).
    let lowest = mutations.iter().map(|m| m.seq).min().unwrap_or(1);
    let mut recorded: HashMap<i64, RecordedMutation> = if lowest <= last {
        tx.recorded_mutations(stream_id, lowest, last)
            .await?
            .into_iter()
            .map(|r| (r.seq, r))
            .collect()
    } else {
        HashMap::new()
    };
    let mut batch = Batch::load(tx.as_mut(), scope, mutations.iter().map(|m| &m.intent)).await?;
    let mut records = Vec::with_capacity(mutations.len());
    let mut results = Vec::with_capacity(mutations.len());
    let mut stopped_timers = Vec::new();
    let mut halted = None;
    for mutation in mutations {
        if mutation.seq <= last {
            match recorded.get(&mutation.seq) {
                Some(earlier) if earlier.fingerprint == mutation.fingerprint => {
                    results.push(answer_again(earlier));
                    continue;
                }
                // Other content under a number the stream used, or a number whose record is
                // gone: the device's numbering went back in time.
                _ => {
                    results.push(MutationResult {
                        seq: mutation.seq,
                        outcome: Outcome::Diverged,
                        reason: None,
                    });
                    halted = Some(ErrorBody::new(
                        ErrorCode::Diverged,
                        format!(
                            "this stream's mutation {} had other content; continue on a new stream",
                            mutation.seq
                        ),
                    ));
                    break;
                }
            }
        }
        if mutation.seq != last + 1 {
            halted = Some(
                ErrorBody::new(
                    ErrorCode::SequenceGap,
                    format!("expected mutation {} next, got {}", last + 1, mutation.seq),
                )
                .with_details(serde_json::json!({ "expected": last + 1 })),
            );
            break;
        }
        let (json, args) = intent_json(&mutation.intent)?;
        let (outcome, reason) = if mutation.fingerprint == fingerprint_of(json.as_bytes()) {
            apply_one(&mut batch, scope, mutation, now, &mut stopped_timers)
        } else {
            // Damaged on the way, or a device's bug: not applied, and shown to the user.
            let reason = ErrorBody::new(
                ErrorCode::FingerprintMismatch,
                "the change arrived damaged (its fingerprint does not match its content)",
            );
            (Outcome::Rejected, Some(reason))
        };
        let record = record(stream_id, mutation, args, outcome, &reason, now);
        recorded.insert(
            mutation.seq,
            RecordedMutation {
                seq: record.seq,
                fingerprint: record.fingerprint.clone(),
                outcome: record.outcome,
                reason: record.reason.clone(),
            },
        );
        records.push(record);
        results.push(MutationResult {
            seq: mutation.seq,
            outcome,
            reason,
        });
        last = mutation.seq;
    }
    batch.write(tx.as_mut(), scope, now).await?;
    tx.record_mutations(scope, &records).await?;
    tx.set_stream_seq(stream_id, last).await?;
    tx.commit().await?;
    Ok(Some(Pushed {
        response: PushResponse {
            results,
            last_applied_seq: last,
            halted,
            server_time: now,
        },
        stopped_timers,
    }))
}

/// Applies one mutation to the batch; a refusal is answered with its reason.
fn apply_one(
    batch: &mut Batch,
    scope: &WorkspaceScope,
    mutation: &Mutation,
    now: DateTime<Utc>,
    stopped_timers: &mut Vec<Uuid>,
) -> (Outcome, Option<ErrorBody>) {
    match timers::apply(batch, scope, &mutation.intent, now) {
        Ok(applied) => {
            stopped_timers.extend(applied.stopped_timer);
            let outcome = if applied.already {
                Outcome::Skipped
            } else {
                Outcome::Applied
            };
            (outcome, None)
        }
        Err(ApplyError::Rejected(reason)) => (Outcome::Rejected, Some(reason)),
        Err(ApplyError::Reconciled(reason)) => (Outcome::Reconciled, Some(reason)),
    }
}

/// A mutation sent again with the same content gets the answer it got the first time.
fn answer_again(earlier: &RecordedMutation) -> MutationResult {
    let outcome = match earlier.outcome {
        MutationOutcome::Applied => Outcome::Skipped,
        MutationOutcome::Rejected => Outcome::Rejected,
        MutationOutcome::Reconciled => Outcome::Reconciled,
    };
    let reason = earlier.reason.as_ref().map(|reason| ErrorBody {
        code: reason.code.parse().unwrap_or(ErrorCode::Unknown),
        message: reason.message.clone(),
        details: reason.details.clone(),
    });
    MutationResult {
        seq: earlier.seq,
        outcome,
        reason,
    }
}

/// An intent's JSON (what its fingerprint is the hash of) and the `args` part of it (what its
/// record keeps), from one serialization.
fn intent_json(intent: &Intent) -> Result<(String, String), ApiError> {
    let json = serde_json::to_string(intent).map_err(|e| ApiError::internal(e.to_string()))?;
    // Adjacently tagged: the tag, then the content, and nothing else.
    let head = format!("{{\"name\":\"{}\",\"args\":", intent.name());
    let args = json
        .strip_prefix(&head)
        .and_then(|rest| rest.strip_suffix('}'))
        .ok_or_else(|| ApiError::internal(format!("an intent's JSON is {json}")))?
        .to_string();
    Ok((json, args))
}

fn record(
    stream_id: Uuid,
    mutation: &Mutation,
    args: String,
    outcome: Outcome,
    reason: &Option<ErrorBody>,
    now: DateTime<Utc>,
) -> MutationRecord {
    let outcome = match outcome {
        Outcome::Rejected => MutationOutcome::Rejected,
        Outcome::Reconciled => MutationOutcome::Reconciled,
        _ => MutationOutcome::Applied,
    };
    MutationRecord {
        stream_id,
        seq: mutation.seq,
        fingerprint: mutation.fingerprint.clone(),
        name: mutation.intent.name().to_string(),
        args,
        device_time: mutation.device_time,
        outcome,
        reason: reason.as_ref().map(|r| Reason {
            code: r.code.to_string(),
            message: r.message.clone(),
            details: r.details.clone(),
        }),
        received_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intents_args_are_cut_from_its_json_whole() {
        let (at, id) = (Utc::now(), Uuid::now_v7);
        // Every kind of intent: one whose JSON is not name and args fails every push of it.
        for intent in [
            Intent::StartTimer {
                timer_id: id(),
                task_id: id(),
                at,
            },
            Intent::PauseTimer { timer_id: id(), at },
            Intent::ResumeTimer { timer_id: id(), at },
            Intent::StopTimer {
                timer_id: id(),
                entry_id: id(),
                at,
                switch: true,
                idle: false,
            },
            Intent::RecordEntry {
                entry_id: id(),
                task_id: id(),
                timer_id: Some(id()),
                started_at: at,
                ended_at: at,
                duration_secs: 0,
                raw_duration_secs: None,
                billable: false,
                status: Some(stint_domain::EntryStatus::Submitted),
                description: String::new(),
            },
            Intent::DiscardEntry { entry_id: id(), at },
            Intent::ReviewEntry {
                entry_id: Uuid::now_v7(),
                duration_secs: 60,
                description: "a \"quoted\" } brace".into(),
                billable: true,
                submit: false,
                task: Some(stint_api::sync::TaskProgress {
                    task_id: Uuid::now_v7(),
                    status: stint_domain::TaskStatus::InProgress,
                    percent_complete: 40,
                }),
                at,
            },
        ] {
            let (json, args) = intent_json(&intent).unwrap();
            assert_eq!(fingerprint_of(json.as_bytes()), intent.fingerprint());
            let args: serde_json::Value = serde_json::from_str(&args).unwrap();
            assert_eq!(args, serde_json::to_value(&intent).unwrap()["args"]);
        }
    }
}
