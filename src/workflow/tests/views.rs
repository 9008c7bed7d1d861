//! The read side on a real (temporary SQLite) store: the bounded status view counts
//! what it does not list exactly as the full view does, what is left is counted in
//! allocation units, and the page draws its plots in chain order.

use super::tick::site;
use crate::db::RunsFilter;
use crate::stages::STAGES;
use crate::workflow::views::{figures, page, settled, status};

#[tokio::test]
async fn counted_totals_match_listed_ones_and_what_is_left_is_priced() {
    let mut s = site();
    let units: Vec<(String, String)> =
        ["0001", "0002", "0003"].iter().map(|p| (p.to_string(), format!("S{p}"))).collect();
    for (sub, ses) in &units {
        s.session(sub, ses);
    }
    s.complete(&units, 12).await;
    s.tick().await; // settles the finished subjects
    s.session("0004", "S0004"); // new: its whole chain is still to do
    let cfg = s.cfg.clone();
    let mut r = s.store.reader();
    let listed = status::status(&cfg, &mut r, None, None).unwrap();
    let counted = settled::bounded(&cfg, &mut r, None, 0).unwrap();
    assert_eq!(counted.totals, listed.totals);
    assert_eq!((counted.rows_hidden, counted.rows.len(), listed.rows.len()), (3, 1, 4));
    assert_eq!(counted.rows[0].participant, "0004");
    let left: Vec<(&str, usize)> = counted.remaining.iter().map(|x| (x.stage, x.units_left)).collect();
    let chain: Vec<(&str, usize)> = STAGES.iter().map(|d| (d.name, 1)).collect();
    assert_eq!(left, chain, "one unit of every stage left, in chain order");
    for x in &counted.remaining {
        assert!(x.cpu_hours > 0.0 && x.per_week > 0.0 && x.done_by.is_some(), "{x:?}");
    }
    assert_eq!(settled::bounded(&cfg, &mut r, Some("qsiprep"), 1000).unwrap().stages, ["qsiprep"]);
    // Listings are limited by the store, newest first.
    let all = s.store.runs_matching(&RunsFilter::default()).unwrap();
    let two = s.store.runs_matching(&RunsFilter { limit: Some(2), ..Default::default() }).unwrap();
    assert_eq!(two.iter().map(|r| r.id).collect::<Vec<_>>(), all.iter().take(2).map(|r| r.id).collect::<Vec<_>>());
    assert!(all.windows(2).all(|w| w[0].id > w[1].id) && all.len() == 12);
    let qsiprep = RunsFilter { stage: Some("qsiprep".into()), ..Default::default() };
    assert_eq!(s.store.runs_matching(&qsiprep).unwrap().len(), 3);
    let newest = s.store.sessions_matching(None, Some("valid"), Some(1)).unwrap();
    assert_eq!(newest.iter().map(|(_, p)| p.participant_label.as_str()).collect::<Vec<_>>(), ["0004"]);
    assert_eq!(s.store.sessions_matching(Some("0002"), None, None).unwrap().len(), 1);
}

#[tokio::test]
async fn the_page_draws_every_plot_in_chain_order() {
    let mut s = site();
    let units = vec![("0001".to_string(), "S1".to_string())];
    s.session("0001", "S1");
    s.complete(&units, 4).await;
    let cfg = s.cfg.clone();
    let mut r = s.store.reader();
    let p = page::build(&cfg, &mut r, chrono::Utc::now().naive_utc()).unwrap();
    let ids: Vec<&str> = p.plots.iter().map(|p| p.id).collect();
    assert_eq!(ids, ["throughput", "durations", "failures", "asked", "timeline"]);
    let drawn = p.plots.iter().find(|p| p.id == "throughput").and_then(|p| p.svg.clone()).expect("a drawing");
    let order: Vec<usize> = STAGES
        .iter()
        .map(|d| drawn.find(&format!("{} finished", d.name)).unwrap_or_else(|| panic!("{}: {drawn}", d.name)))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "legend in chain order");
    assert!(p.plots.iter().find(|p| p.id == "failures").unwrap().svg.is_none(), "nothing failed: a sentence");
    let stages: Vec<&str> = p.throughput.iter().map(|t| t.stage.as_str()).collect();
    assert_eq!(stages, STAGES.iter().map(|d| d.name).collect::<Vec<_>>());
    let html = page::render(&p).unwrap();
    assert!(html.contains("id=\"plot-timeline\"") && html.contains("<svg role=\"img\""));
    assert_eq!(figures::WEEKS, 26);
}
