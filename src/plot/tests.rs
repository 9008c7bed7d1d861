use super::*;
use crate::domain::FailureCause;
use chrono::{NaiveDate, NaiveDateTime};

fn at(h: i64) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 2)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .map(|t| t + chrono::Duration::hours(h))
        .unwrap()
}

fn weekly() -> Weekly {
    let weeks: Vec<NaiveDate> = (0..8).map(|i| at(24 * 7 * i).date()).collect();
    Weekly {
        arrivals: vec![3, 5, 4, 6, 5, 7, 6, 5],
        finished: ["bids_conversion", "qsiprep", "qsirecon", "qsiparc"]
            .iter()
            .enumerate()
            .map(|(k, s)| (s.to_string(), (0..8).map(|i| (i + k as u64) % 6).collect()))
            .collect(),
        failed: vec![(FailureCause::OutOfMemory, vec![0, 1, 0, 2, 0, 0, 3, 1]), (FailureCause::Timeout, vec![1; 8])],
        weeks,
    }
}

/// The drawing parses as XML, is an `<svg>` with a size, and holds `texts`.
fn check_svg(p: &Plot, texts: &[&str]) {
    let svg = p.svg.as_deref().unwrap_or_else(|| panic!("{}: no drawing ({})", p.id, p.reading));
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{}: not XML: {e}", p.id));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{}", p.id);
    for a in ["width", "height"] {
        assert!(root.attribute(a).and_then(|v| v.parse::<u32>().ok()).is_some_and(|v| v > 0), "{}: {a}", p.id);
    }
    let text: String = doc.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).collect();
    for t in texts {
        assert!(text.contains(t), "{}: no text {t:?} in the drawing", p.id);
    }
    assert!(!p.reading.is_empty(), "{}: no reading", p.id);
}

#[test]
fn throughput_and_failures_draw_and_parse() {
    let w = weekly();
    let p = throughput(&w).unwrap();
    check_svg(&p, &["sessions per week", "arrived (registered)", "qsiparc finished", "11-02"]);
    // The legend lists the stages in chain order.
    let svg = p.svg.unwrap();
    let pos: Vec<usize> = w.finished.iter().map(|(s, _)| svg.find(&format!("{s} finished")).unwrap()).collect();
    assert!(pos.windows(2).all(|p| p[0] < p[1]), "legend not in chain order: {pos:?}");
    assert!(p.reading.starts_with("Last 4 weeks: 23 sessions arrived"), "{}", p.reading);
    let f = failures(&w).unwrap();
    check_svg(&f, &["out_of_memory", "timeout", "failed attempts per week"]);
    assert!(f.reading.contains("most are timeout (8)"), "{}", f.reading);
}

#[test]
fn durations_and_asked_draw_and_parse() {
    let times = vec![
        StageTimes { stage: "bids_conversion".into(), waits_s: vec![5.0, 8.0, 30.0], runs_s: vec![60.0, 90.0, 120.0] },
        StageTimes { stage: "qsiprep".into(), waits_s: vec![3600.0, 11_160.0, 20_000.0], runs_s: vec![19_440.0; 3] },
    ];
    let p = durations(&times).unwrap();
    check_svg(&p, &["qsiprep", "bids_conversion", "hours (log scale)"]);
    assert!(p.reading.contains("qsiprep waits 3.1 h in the queue, runs 5.4 h"), "{}", p.reading);
    let asked = vec![Asked {
        stage: "qsiprep".into(),
        mem_asked_gb: 16.0,
        mem_used_p50_gb: 3.0,
        mem_used_p95_gb: 4.0,
        cpus_asked: 8.0,
        cpus_used_p50: Some(2.5),
    }];
    let a = asked_vs_used(&asked).unwrap();
    check_svg(&a, &["memory (GB", "CPUs", "qsiprep"]);
    assert!(a.reading.contains("qsiprep uses 25 % of its memory at p95 (4.0 of 16.0 GB)"), "{}", a.reading);
}

#[test]
fn a_timeline_draws_each_run() {
    let spans: Vec<Span> = (0..5)
        .map(|i| Span {
            label: format!("qsiprep sub-000{i} #{i}"),
            stage_index: 1,
            submitted: at(i),
            started: (i < 4).then(|| at(i + 1)),
            ended: (i < 3).then(|| at(i + 3)),
            failed: i == 2,
        })
        .collect();
    let p = timeline("Newest runs", &spans, at(10)).unwrap();
    check_svg(&p, &["qsiprep sub-0000 #0", "qsiprep sub-0004 #4", "hours since 2026-11-02 08:00 UTC"]);
    assert!(p.reading.contains("1 running now, 1 failed") && p.reading.contains("over 10.0 h"), "{}", p.reading);
    // A short span (a demo, a test) is drawn in minutes.
    let quick: Vec<Span> = spans
        .iter()
        .take(1)
        .cloned()
        .map(|s| Span { ended: Some(s.submitted + chrono::Duration::minutes(20)), ..s })
        .collect();
    let q = timeline("Newest runs", &quick, at(0) + chrono::Duration::minutes(30)).unwrap();
    check_svg(&q, &["minutes since 2026-11-02 08:00 UTC"]);
    assert!(q.reading.ends_with("over 30 min since the first was submitted."), "{}", q.reading);
}

#[test]
fn nothing_to_draw_gives_a_sentence_not_a_picture() {
    let none = Weekly { weeks: vec![at(0).date()], arrivals: vec![0], finished: vec![], failed: vec![] };
    for p in [
        throughput(&none).unwrap(),
        failures(&none).unwrap(),
        durations(&[]).unwrap(),
        asked_vs_used(&[]).unwrap(),
        timeline("t", &[], at(0)).unwrap(),
    ] {
        assert!(p.svg.is_none(), "{}", p.id);
        assert!(p.reading.ends_with('.') && p.reading.len() > 10, "{}: {}", p.id, p.reading);
    }
}

#[test]
fn a_cause_keeps_its_colour_and_neighbours_differ_in_lightness() {
    let lum = |c: plotters::style::RGBColor| 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
    assert_eq!(cause_colour(FailureCause::OutOfMemory), cause_colour(FailureCause::ALL[1]));
    for pair in FailureCause::ALL.windows(2) {
        let (a, b) = (lum(cause_colour(pair[0])), lum(cause_colour(pair[1])));
        assert!((a - b).abs() > 40.0, "{} and {} look alike in grey ({a:.0}, {b:.0})", pair[0], pair[1]);
    }
    for i in 1..4 {
        assert!(lum(stage_colour(i)) - lum(stage_colour(i - 1)) > 20.0, "stage {i}");
    }
    assert_eq!(human_hours(3.1), "3.1 h");
    assert_eq!(human_hours(0.5), "30 min");
    assert_eq!(human_hours(72.0), "3.0 d");
}
