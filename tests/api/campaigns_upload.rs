//! Campaign files as they reach acta: a real XLSX workbook (written by a
//! spreadsheet writer, numbers and dates as typed cells) checked and run, and
//! a whole CdG's wave (20,500 rows) received through the API, beyond the
//! request body limit of the other routes.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::campaigns::{HEADER, MAPPING, csv, rows};
use crate::helpers::{TestApp, repo_path, spawn_app};

/// `rows` as an XLSX workbook typed as a gestionnaire's spreadsheet is:
/// SIREN, échelons, indices and reliquats as numbers, days as date cells
/// shown `jj/mm/aaaa`, the rest as text; a cell `"=…"` stays text.
fn workbook(rows: &[String]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let day = Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in HEADER.split(';').enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.split(';').enumerate() {
            let c = c as u16;
            let date = cell.split('/').map(|p| p.parse::<u16>()).collect::<Result<Vec<_>, _>>();
            match (cell.parse::<f64>(), date.as_deref()) {
                (Ok(n), _) => sheet.write_number(r, c, n).map(drop).unwrap(),
                (_, Ok(&[d, m, y])) if m <= 12 && ExcelDateTime::from_ymd(y, m as u8, d as u8).is_ok() => {
                    let when = ExcelDateTime::from_ymd(y, m as u8, d as u8).unwrap();
                    sheet.write_datetime_with_format(r, c, when, &day).map(drop).unwrap()
                }
                _ => sheet.write_string(r, c, cell).map(drop).unwrap(),
            }
        }
    }
    book.save_to_buffer().unwrap()
}

async fn put_mapping(app: &TestApp) {
    let mapping: Value = serde_json::from_slice(&std::fs::read(repo_path(MAPPING)).unwrap()).unwrap();
    let put = app.client.put(app.url("/api/v1/campaigns/mappings/arrete-avancement-echelon")).json(&mapping);
    assert_eq!(put.send().await.unwrap().status(), StatusCode::OK);
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[tokio::test]
async fn an_xlsx_workbook_with_typed_cells_is_checked_by_line_and_column_then_run() {
    let app = spawn_app().await;
    put_mapping(&app).await;
    let post = |body: Vec<u8>| {
        app.client
            .post(app.url("/api/v1/campaigns?template=arrete-avancement-echelon&name=vague.xlsx"))
            .header("content-type", XLSX)
            .body(body)
    };
    // Broken cells: a number out of range, a date typed as text that is no day.
    let mut broken = rows(6);
    crate::campaigns::set(&mut broken[2], "IB", "5000");
    crate::campaigns::set(&mut broken[4], "Date d'effet", "31-02-2026");
    let bytes = workbook(&broken);
    assert!(bytes.starts_with(b"PK\x03\x04"), "a real XLSX (zip) workbook");
    let resp = post(bytes).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.unwrap();
    let errors: Vec<(u64, &str, &str)> = body["rapport"]["erreurs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["ligne"].as_u64().unwrap(), e["colonne"].as_str().unwrap(), e["message"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        errors,
        [
            (4, "IB", "doit être au plus 1200"),
            (6, "Date d'effet", "« 31-02-2026 » n’est pas une date valide (attendu JJ/MM/AAAA)"),
        ],
        "{body}"
    );
    // The fixed workbook: every typed cell read as the CSV's text would be.
    let resp = post(workbook(&rows(6))).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    let id = body["campagne"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["campagne"]["source"], "vague.xlsx");
    let first = &body["rapport"]["changements"][0];
    assert_eq!(
        (&first["collectivite"], &first["echelon_ancien"], &first["echelon_nouveau"], &first["date_effet"]),
        (&Value::from("216295105"), &Value::from("3"), &Value::from("4"), &Value::from("01/04/2026")),
        "{body}"
    );
    let run = app.client.post(app.url(&format!("/api/v1/campaigns/{id}/run"))).send().await.unwrap();
    assert_eq!(run.status(), StatusCode::ACCEPTED);
    let start = Instant::now();
    loop {
        let (_, body) = app.get_json(&format!("/api/v1/campaigns/{id}")).await;
        if body["faites"] == 6 && body["en_cours"].is_null() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The act made from line 2 prints the workbook's values, dates included.
    let (_, campaign) = app.get_json(&format!("/api/v1/campaigns/{id}")).await;
    let act = campaign["rows"][0]["acte"].as_str().unwrap();
    let text = crate::helpers::pdf_text(&app.pdf(act).await);
    for expected in ["CŒURDEVEY", "430", "387", "avril 2026", "12 février 2024"] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
}

#[tokio::test]
async fn a_whole_wave_of_20500_rows_reaches_the_campaign_check_beyond_the_2_mib_body_limit() {
    // Checking 20,500 rows takes seconds in a release build and more than a
    // minute in a test build (`acta bench campaign` measures it): here the
    // file has one column misnamed, so the answer is about its content, which
    // the server can only give after receiving and reading all of it.
    let app = spawn_app().await;
    put_mapping(&app).await;
    let defaults = acta::config::Settings::default();
    let wave = csv(&rows(20_500)).replacen(";IB;", ";Indice brut;", 1).into_bytes();
    assert!(wave.len() > defaults.max_body_bytes, "{} bytes: more than the other routes take", wave.len());
    assert!(wave.len() < defaults.campaign_max_upload_bytes);
    let resp = app
        .client
        .post(app.url("/api/v1/campaigns?template=arrete-avancement-echelon&name=vague.csv&dry_run=true"))
        .header("content-type", "text/csv")
        .body(wave.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "campaign_source_invalid", "{body}");
    assert!(body["detail"].as_str().unwrap().contains("la colonne « IB » est absente"), "{body}");
    // The same bytes on another route: still the global limit.
    let resp = app
        .client
        .post(app.url("/api/v1/acts"))
        .header("content-type", "application/json")
        .body(wave)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Announced past the campaign limit: 413 at once, before any body is read.
    let addr = app.base.strip_prefix("http://").unwrap().to_owned();
    let token = app.token(acta::auth::Role::Admin, &[]).await;
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/campaigns?template=arrete-avancement-echelon HTTP/1.1\r\nHost: acta\r\n\
         Authorization: Bearer {token}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\nSIREN",
        defaults.campaign_max_upload_bytes + 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413") && answer.contains("payload_too_large"), "{answer}");
}
