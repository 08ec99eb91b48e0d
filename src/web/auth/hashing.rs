//! Password hashing, bounded: every argon2 computation of the web node (a
//! sign-in's check, a sign-up's hash) runs on a small pool of threads of its
//! own, one per core, and at most one per thread at a time. A request waits
//! up to `WAIT` for a free hasher, then is told to come back (503 with
//! `Retry-After`), so a flood of sign-ins costs at most
//! `cores × ARGON2_MIB` of memory and never grows the blocking pool.
//!
//! The parameters are OWASP's first recommendation for argon2id (m = 19 MiB,
//! t = 2, p = 1): about 20 ms a hash on one core of a laptop, slow for a
//! guesser, and small enough that a hash per core fits any machine.
//! Checking a stored hash uses the parameters it was made with.

use std::num::NonZeroUsize;
use std::sync::LazyLock;
use std::time::Duration;

use std::cell::RefCell;

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use tokio::sync::{oneshot, Semaphore};

use crate::secret::Secret;

/// Memory of one hash, in MiB.
pub const ARGON2_MIB: u32 = 19;
/// Passes over that memory.
pub const ARGON2_PASSES: u32 = 2;
/// Lanes (threads inside one hash).
pub const ARGON2_LANES: u32 = 1;
/// How long a request waits for a free hasher before it gets a 503.
pub const WAIT: Duration = Duration::from_secs(3);
/// What a 503 asks the client to wait, in seconds.
pub const RETRY_AFTER_SECS: u64 = 2;

/// The argon2id instance new hashes are made with.
pub fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_MIB * 1024, ARGON2_PASSES, ARGON2_LANES, None)
        .unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// An argon2id PHC string (blocking: call it through `run`, or at start).
pub fn hash(password: &Secret) -> Result<String, String> {
    let salt = argon2::password_hash::try_generate_salt().map_err(|e| e.to_string())?;
    let a = argon2();
    let mut out = [0u8; 32];
    with_memory(a.params().block_count(), |blocks| {
        a.hash_password_into_with_memory(password.expose().as_bytes(), &salt, &mut out, blocks)
    })
    .map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(a.params()).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc` (blocking, as `hash`).
/// Checking a stored hash uses the parameters it was made with, and the
/// comparison takes constant time.
pub fn verify(password: &Secret, phc: &str) -> bool {
    let Ok(stored) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::new(stored.algorithm.as_str()),
        Params::try_from(&stored),
    ) else {
        return false;
    };
    if params.m_cost() > MAX_STORED_KIB {
        tracing::warn!(
            m_cost = params.m_cost(),
            "a stored password hash asks for too much memory"
        );
        return false;
    }
    let version = stored
        .version
        .map_or(Ok(Version::default()), Version::try_from);
    let Ok(version) = version else {
        return false;
    };
    let a = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let made = with_memory(a.params().block_count(), |blocks| {
        a.hash_password_into_with_memory(
            password.expose().as_bytes(),
            salt.as_ref(),
            &mut out,
            blocks,
        )
    });
    // `Output`'s equality is constant-time.
    made.is_ok() && Output::new(&out).is_ok_and(|o| &o == expected)
}

/// The most memory a stored hash may ask for (256 MiB), so a tampered
/// `users` row can't make a check allocate without bound.
const MAX_STORED_KIB: u32 = 256 * 1024;

thread_local! {
    /// Each hasher thread's argon2 memory, allocated once and reused: the
    /// allocator never sees a 19 MiB request per sign-in, so the node's
    /// memory stays `cores × ARGON2_MIB` however many sign-ins come.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    MEMORY.with(|m| match m.try_borrow_mut() {
        Ok(mut m) => {
            if m.len() < blocks {
                *m = vec![Block::default(); blocks];
            }
            f(&mut m[..blocks])
        }
        // Not reentrant; never happens, but don't panic if it does.
        Err(_) => f(&mut vec![Block::default(); blocks]),
    })
}

/// Every hasher was busy for `WAIT`.
#[derive(Debug, thiserror::Error)]
#[error("Too many sign-ins are being checked right now. Try again in a few seconds.")]
pub struct Busy;

type Task = Box<dyn FnOnce() + Send>;

struct Pool {
    permits: Semaphore,
    tasks: async_channel::Sender<Task>,
    size: usize,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| {
    let size = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let (tasks, queue) = async_channel::unbounded::<Task>();
    for n in 1..=size {
        let queue = queue.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("kiqlab-argon2-{n}"))
            .spawn(move || {
                while let Ok(task) = queue.recv_blocking() {
                    task();
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start a password hasher thread");
        }
    }
    Pool {
        permits: Semaphore::new(size),
        tasks,
        size,
    }
});

/// How many hashes may run at once (the machine's cores).
pub fn capacity() -> usize {
    POOL.size
}

/// Runs `f` (an argon2 hash or check) on a hasher thread, waiting at most
/// `WAIT` for one to be free.
pub async fn run<T, F>(f: F) -> Result<T, Busy>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let pool = &*POOL;
    let _permit = tokio::time::timeout(WAIT, pool.permits.acquire())
        .await
        .map_err(|_| Busy)?
        .map_err(|_| Busy)?;
    let (tx, rx) = oneshot::channel();
    let task: Task = Box::new(move || {
        let _ = tx.send(f());
    });
    pool.tasks.send(task).await.map_err(|_| Busy)?;
    // The permit is held until the hash is done, so no more than `size`
    // hashes (and their memory) are ever in flight.
    rx.await.map_err(|_| Busy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameters_are_owasps() {
        let a = argon2();
        let p = a.params();
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19 * 1024, 2, 1));
    }

    #[test]
    fn hashes_verify_here_and_with_the_argon2_crates_own_checker() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let pw = Secret::new("correct horse battery staple");
        let ours = hash(&pw).unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        assert!(verify(&pw, &ours));
        assert!(!verify(&Secret::new("Correct horse battery staple"), &ours));
        assert!(argon2()
            .verify_password(pw.expose().as_bytes(), ours.as_str())
            .is_ok());
        // A hash made elsewhere, with other parameters, checks with its own.
        let other = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(8 * 1024, 3, 1, Some(24)).unwrap(),
        )
        .hash_password(pw.expose().as_bytes())
        .unwrap()
        .to_string();
        assert!(verify(&pw, &other), "{other}");
        assert!(!verify(&Secret::new("nope"), &other));
        for bad in [
            "",
            "plain text",
            "$argon2id$v=19$m=999999999,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
        ] {
            assert!(!verify(&pw, bad), "{bad}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_hashes_run_at_once_than_there_are_hashers() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..(capacity() * 3) {
            let (running, most) = (running.clone(), most.clone());
            tasks.push(tokio::spawn(run(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(50));
                running.fetch_sub(1, Ordering::SeqCst);
            })));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert!(most.load(Ordering::SeqCst) <= capacity());
        assert!(most.load(Ordering::SeqCst) >= 1);
    }
}
