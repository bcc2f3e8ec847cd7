//! The retry policy's delays, exactly: the jitter generator is seeded.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::time::Duration;

use typed_eventsource::core::backoff::{Backoff, Jitter};

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn delays_grow_by_the_factor_up_to_the_cap() {
    let b = Backoff::default().jitter(Jitter::None);
    let delays: Vec<_> = (1..=7).map(|a| b.base_delay(a, None)).collect();
    assert_eq!(
        delays,
        [
            ms(1000),
            ms(2000),
            ms(4000),
            ms(8000),
            ms(16000),
            ms(30000),
            ms(30000)
        ]
    );
    // Far past any sensible attempt count nothing overflows.
    assert_eq!(b.base_delay(u32::MAX, None), ms(30000));
    assert_eq!(b.clone().factor(1.5).base_delay(3, None), ms(2250));
}

#[test]
fn the_servers_retry_replaces_the_initial_delay_above_a_floor() {
    let b = Backoff::default().jitter(Jitter::None);
    assert_eq!(b.base_delay(1, Some(ms(3000))), ms(3000));
    assert_eq!(b.base_delay(2, Some(ms(3000))), ms(6000));
    // `retry: 0` cannot cause a storm.
    assert_eq!(b.base_delay(1, Some(ms(0))), ms(200));
    assert_eq!(b.base_delay(2, Some(ms(0))), ms(400));
    // A server asking for more than the cap gets it.
    assert_eq!(b.base_delay(1, Some(ms(60_000))), ms(60_000));
    assert_eq!(b.base_delay(3, Some(ms(60_000))), ms(60_000));
}

#[test]
fn a_server_cannot_park_a_client_past_the_server_cap() {
    let b = Backoff::default().jitter(Jitter::None);
    let hour = Duration::from_secs(3600);
    // `retry:` with the largest number a line can carry, and a Retry-After of a year.
    assert_eq!(b.base_delay(1, Some(ms(u64::MAX))), hour);
    let mut rng = fastrand::Rng::with_seed(1);
    let year = Duration::from_secs(365 * 86_400);
    assert_eq!(b.delay(1, None, Some(year), &mut rng), hour);
    // The cap is the user's to move, and a Retry-After below it still lengthens the delay.
    let b = b.server_max(Duration::from_secs(60));
    assert_eq!(b.base_delay(1, Some(ms(u64::MAX))), ms(60_000));
    assert_eq!(b.delay(1, None, Some(ms(5000)), &mut rng), ms(5000));
}

#[test]
fn a_zero_floor_or_a_cap_below_it_is_refused() {
    let err = Backoff::default().retry_floor(Duration::ZERO).validate();
    assert_eq!(err.map_err(|e| e.option), Err("retry_floor"));
    let err = Backoff::default().server_max(ms(100)).validate();
    assert_eq!(err.map_err(|e| e.option), Err("server_max"));
}

#[test]
fn jitter_is_exact_for_a_seed_and_within_its_band() {
    let draw = |jitter, seed| {
        let mut rng = fastrand::Rng::with_seed(seed);
        let b = Backoff::default().jitter(jitter);
        (1..=5)
            .map(|a| b.delay(a, None, None, &mut rng))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        draw(Jitter::Equal, 7),
        draw(Jitter::Equal, 7),
        "same seed, same delays"
    );
    assert_ne!(
        draw(Jitter::Equal, 7),
        draw(Jitter::Equal, 8),
        "another seed, other delays"
    );
    let base = [1000, 2000, 4000, 8000, 16000];
    for seed in 0..200 {
        for (d, b) in draw(Jitter::Equal, seed).iter().zip(base) {
            assert!(*d >= ms(b / 2) && *d <= ms(b), "equal jitter {d:?} for {b}");
        }
        for (d, b) in draw(Jitter::Full, seed).iter().zip(base) {
            assert!(*d <= ms(b), "full jitter {d:?} for {b}");
        }
    }
    assert_eq!(draw(Jitter::None, 1), base.map(ms));
    // Full jitter does reach into the lower half, where equal jitter never goes.
    assert!((0..50).any(|s| draw(Jitter::Full, s)[4] < ms(8000)));
}

#[test]
fn jitter_never_goes_below_the_servers_retry() {
    // The specification: wait the reconnection time, then optionally longer.
    for jitter in [Jitter::Full, Jitter::Equal] {
        let b = Backoff::default().jitter(jitter);
        for seed in 0..200 {
            let mut rng = fastrand::Rng::with_seed(seed);
            for attempt in 1..=6 {
                let d = b.delay(attempt, Some(ms(2000)), None, &mut rng);
                assert!(
                    d >= ms(2000),
                    "{jitter:?} seed {seed} attempt {attempt}: {d:?}"
                );
                assert!(d <= b.base_delay(attempt, Some(ms(2000))));
            }
        }
        // A `retry: 0` is still held to the floor, not to zero.
        let mut rng = fastrand::Rng::with_seed(3);
        assert!(b.delay(1, Some(ms(0)), None, &mut rng) >= b.retry_floor);
    }
    // Growth still goes on top: the later attempts of equal jitter wait longer than `retry:`.
    let b = Backoff::default();
    let mut rng = fastrand::Rng::with_seed(5);
    assert!(b.delay(4, Some(ms(2000)), None, &mut rng) >= ms(8000));
}

#[test]
fn retry_after_lengthens_a_delay_but_never_shortens_it() {
    let b = Backoff::default().jitter(Jitter::None);
    let mut rng = fastrand::Rng::with_seed(1);
    assert_eq!(b.delay(1, None, Some(ms(5000)), &mut rng), ms(5000));
    assert_eq!(b.delay(4, None, Some(ms(5000)), &mut rng), ms(8000));
    // Retry-After is honoured above the cap too.
    assert_eq!(b.delay(1, None, Some(ms(120_000)), &mut rng), ms(120_000));
}

#[test]
fn nonsense_policies_are_rejected_naming_the_option() {
    let bad = |b: Backoff| b.validate().unwrap_err().option;
    assert_eq!(bad(Backoff::default().initial(ms(0))), "initial");
    assert_eq!(bad(Backoff::default().factor(0.5)), "factor");
    assert_eq!(bad(Backoff::default().factor(f64::NAN)), "factor");
    assert_eq!(bad(Backoff::default().max(ms(10))), "max");
    assert_eq!(
        bad(Backoff::default().max_attempts(Some(0))),
        "max_attempts"
    );
    assert!(Backoff::default().validate().is_ok());
}
