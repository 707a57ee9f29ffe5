//! The step page: progress, evidence, review and history of one step for one period.

#[allow(unused_imports)]
use super::*;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppResult;
use crate::evidence::{self, EvidenceView};
use crate::periods::{self, Period, PeriodChoice, PeriodQuery};
use crate::step::{Rights, Status, StepContext, Verdict};
use crate::web::SelectOption;
use crate::web::{Chrome, QueryData, render};

// ---------------------------------------------------------------------------
// The step page

#[derive(sqlx::FromRow)]
pub struct HistoryView {
    pub version: i64,
    pub status: Status,
    pub realization: i64,
    pub narrative: String,
    pub reason: String,
    pub changed_by: String,
    pub changed_at: String,
}

impl HistoryView {
    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
    pub fn when(&self) -> String {
        crate::fmt::stored_datetime_id(&self.changed_at)
    }
}

#[derive(sqlx::FromRow)]
pub struct ReviewView {
    pub id: i64,
    pub verdict: Verdict,
    pub note: String,
    pub reviewer: String,
    pub reviewed_at: String,
    pub progress_version: i64,
    /// It stands for the current progress version (`standing_reviews`).
    pub standing: bool,
}

impl ReviewView {
    pub fn verdict_label(&self) -> &'static str {
        self.verdict.label()
    }
    pub fn when(&self) -> String {
        crate::fmt::stored_datetime_id(&self.reviewed_at)
    }
}

/// The progress form's values: the stored ones, or what the user typed.
pub struct ProgressForm {
    pub version: i64,
    pub status: String,
    pub realization: String,
    pub narrative: String,
    pub reason: String,
}

pub struct PicView {
    pub user_id: i64,
    pub name: String,
    pub username: String,
}

#[derive(Template)]
#[template(path = "step/show.html")]
pub struct StepPage {
    pub chrome: Chrome,
    pub ctx: StepContext,
    pub code: String,
    pub period: Period,
    pub periods: PeriodChoice,
    pub rights: Rights,
    pub pics: Vec<PicView>,
    pub responsible_unit: Option<String>,
    pub pic_options: Vec<SelectOption>,
    pub unit_options: Vec<SelectOption>,
    pub progress: Option<ProgressRecord>,
    pub status_options: Vec<SelectOption>,
    pub form: ProgressForm,
    pub form_errors: Vec<String>,
    /// The newer version that refused a save.
    pub conflict: Option<ProgressRecord>,
    pub evidence: Vec<EvidenceView>,
    pub evidence_error: Option<String>,
    pub link_url: String,
    pub link_label: String,
    pub max_upload_mb: u64,
    pub current_review: Option<ReviewView>,
    pub reviews: Vec<ReviewView>,
    pub review_errors: Vec<String>,
    pub review_verdict: String,
    pub review_note: String,
    pub history: Vec<HistoryView>,
    pub deadline: Option<String>,
    /// Fix requests, verdicts and the PIC's answers, oldest first.
    pub conversation: Vec<Turn>,
    /// The latest fix request was answered; the step waits for review again.
    pub resubmitted: bool,
    pub resubmit_errors: Vec<String>,
    pub resubmit_note: String,
    /// The LKE questions of its year this step serves: (id, text).
    pub questions: Vec<(i64, String)>,
    /// Its year has an LKE master (questions can be linked).
    pub lke_year: bool,
    pub questions_text: String,
    pub questions_error: Option<String>,
}

/// One turn of the review conversation on a step page.
pub struct Turn {
    pub reviewer: bool,
    pub who: String,
    pub at: String,
    pub text: String,
}

impl Turn {
    pub fn when(&self) -> String {
        crate::fmt::stored_datetime_id(&self.at)
    }
}

impl StepPage {
    /// Reviewers and admins check files by their hash; for staff it is clutter.
    pub fn shows_hashes(&self) -> bool {
        self.chrome.user.as_ref().is_some_and(|u| {
            u.is(&[
                crate::auth::Role::Admin,
                crate::auth::Role::Penilai,
                crate::auth::Role::Pimpinan,
            ])
        })
    }

    /// A PDF or an image the browser may show in its sandbox.
    pub fn viewable(&self, e: &crate::evidence::EvidenceView) -> bool {
        e.media_type
            .as_deref()
            .is_some_and(|m| super::evidence::VIEWABLE.contains(&m))
    }

    /// Every message of a refused form, with the field it concerns: shown at the top
    /// of the page, where the eye is after the form was sent.
    pub fn top_errors(&self) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        if let Some(c) = &self.conflict {
            out.push((
                format!(
                    "Progres sudah diubah oleh {} (versi {}); isian Anda belum disimpan.",
                    c.updated_by_name, c.version
                ),
                "bentrok",
            ));
        }
        out.extend(self.form_errors.iter().map(|e| (e.clone(), "status")));
        if let Some(e) = &self.evidence_error {
            let field = if self.link_url.is_empty() && self.link_label.is_empty() {
                "file"
            } else {
                "url"
            };
            out.push((e.clone(), field));
        }
        out.extend(self.review_errors.iter().map(|e| (e.clone(), "verdict-ok")));
        out.extend(self.resubmit_errors.iter().map(|e| (e.clone(), "jawaban")));
        if let Some(e) = &self.questions_error {
            out.push((e.clone(), "soal"));
        }
        out
    }

    /// The PIC may answer the standing fix request.
    pub fn can_resubmit(&self) -> bool {
        self.rights.write
            && self
                .current_review
                .as_ref()
                .is_some_and(|r| r.verdict == Verdict::Perbaikan)
    }

    /// Admins link steps to LKE questions.
    pub fn is_admin(&self) -> bool {
        self.chrome
            .user
            .as_ref()
            .is_some_and(|u| u.role == crate::auth::Role::Admin)
    }

    pub fn active_evidence_count(&self) -> usize {
        self.evidence
            .iter()
            .filter(|e| e.removed_at.is_none())
            .count()
    }
}

pub(crate) fn status_options(selected: &str) -> Vec<SelectOption> {
    Status::ALL
        .iter()
        .map(|s| SelectOption::new(s.as_str(), s.label(), s.as_str() == selected))
        .collect()
}

impl StepPage {
    pub async fn build(
        state: &AppState,
        chrome: Chrome,
        ctx: StepContext,
        rights: Rights,
        period: Period,
    ) -> AppResult<StepPage> {
        let db = &state.db;
        let step_id = ctx.id;
        let progress = current_progress(db, step_id, period.semester).await?;
        let pics: Vec<PicView> = sqlx::query_as::<_, (i64, String, String)>(
            "SELECT u.id, u.display_name, u.username FROM step_assignments sa
             JOIN users u ON u.id = sa.user_id WHERE sa.step_id = ? ORDER BY u.display_name",
        )
        .bind(step_id)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(|(user_id, name, username)| PicView {
            user_id,
            name,
            username,
        })
        .collect();
        let responsible_unit: Option<(i64, String)> = sqlx::query_as(
            "SELECT un.id, un.name FROM step_responsible_units r JOIN units un ON un.id = r.unit_id
             WHERE r.step_id = ?",
        )
        .bind(step_id)
        .fetch_optional(db)
        .await?;
        let (pic_options, unit_options) = if rights.assign {
            let users: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT u.id, u.display_name, uu.role FROM users u
                 JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ? AND uu.role = 'staf'
                 WHERE u.active = 1
                   AND u.id NOT IN (SELECT user_id FROM step_assignments WHERE step_id = ?)
                 ORDER BY u.display_name",
            )
            .bind(ctx.unit_id)
            .bind(step_id)
            .fetch_all(db)
            .await?;
            let units: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, name FROM units ORDER BY id")
                    .fetch_all(db)
                    .await?;
            (
                users
                    .into_iter()
                    .map(|(id, name, role)| SelectOption {
                        value: id.to_string(),
                        label: format!(
                            "{name} ({})",
                            Role::parse(&role).map(Role::label).unwrap_or("")
                        ),
                        selected: false,
                    })
                    .collect(),
                units
                    .into_iter()
                    .map(|(id, name)| SelectOption {
                        selected: responsible_unit.as_ref().map(|u| u.0) == Some(id),
                        value: id.to_string(),
                        label: name,
                    })
                    .collect(),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        // every verdict, for the conversation; the view says which one stands
        let reviews: Vec<ReviewView> = sqlx::query_as(
            "SELECT r.id, r.verdict, r.note, u.display_name AS reviewer, r.reviewed_at, r.progress_version,
                    EXISTS (SELECT 1 FROM standing_reviews sr WHERE sr.id = r.id) AS standing
             FROM reviews r JOIN users u ON u.id = r.reviewer_id
             WHERE r.step_id = ? AND r.semester = ? ORDER BY r.id DESC",
        )
        .bind(step_id)
        .bind(period.semester)
        .fetch_all(db)
        .await?;
        let answers: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT x.review_id, x.note, u.display_name, x.at FROM resubmissions x
             JOIN users u ON u.id = x.user_id WHERE x.step_id = ? AND x.semester = ? ORDER BY x.id",
        )
        .bind(step_id)
        .bind(period.semester)
        .fetch_all(db)
        .await?;
        // a fix request and its answers, oldest first: a short conversation
        let mut conversation: Vec<Turn> = Vec::new();
        for r in reviews.iter().rev() {
            conversation.push(Turn {
                reviewer: true,
                who: r.reviewer.clone(),
                at: r.reviewed_at.clone(),
                text: if r.note.is_empty() {
                    r.verdict.label().to_string()
                } else {
                    format!("{}: {}", r.verdict.label(), r.note)
                },
            });
            for (_, note, who, at) in answers.iter().filter(|a| a.0 == r.id) {
                conversation.push(Turn {
                    reviewer: false,
                    who: who.clone(),
                    at: at.clone(),
                    text: format!("Diajukan ulang untuk reviu: {note}"),
                });
            }
        }
        let resubmitted = reviews
            .first()
            .is_some_and(|r| answers.iter().any(|a| a.0 == r.id));
        let current_review = match reviews.first() {
            Some(r) if r.standing && !resubmitted => Some(ReviewView {
                id: r.id,
                verdict: r.verdict,
                note: r.note.clone(),
                reviewer: r.reviewer.clone(),
                reviewed_at: r.reviewed_at.clone(),
                progress_version: r.progress_version,
                standing: true,
            }),
            _ => None,
        };
        let history: Vec<HistoryView> = match &progress {
            Some(p) => {
                sqlx::query_as(
                    "SELECT h.version, h.status, h.realization, h.narrative, h.reason,
                            u.display_name AS changed_by, h.changed_at
                     FROM progress_history h JOIN users u ON u.id = h.changed_by
                     WHERE h.progress_id = ? ORDER BY h.version DESC",
                )
                .bind(p.id)
                .fetch_all(db)
                .await?
            }
            None => Vec::new(),
        };
        let evidence = evidence::list_for(db, step_id, period.semester).await?;
        let deadline = periods::deadline(db, ctx.unit_id, period)
            .await?
            .map(crate::fmt::date_id);
        let form = match &progress {
            Some(p) => ProgressForm {
                version: p.version,
                status: p.status.as_str().to_string(),
                realization: p.realization.to_string(),
                narrative: p.narrative.clone(),
                reason: p.reason.clone(),
            },
            None => ProgressForm {
                version: 0,
                status: "belum".into(),
                realization: "0".into(),
                narrative: String::new(),
                reason: String::new(),
            },
        };
        let questions = crate::links::step_questions(&state.db, ctx.id).await?;
        let lke_year: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM lke_years WHERE year = ?)")
                .bind(ctx.year)
                .fetch_one(&state.db)
                .await?;
        Ok(StepPage {
            code: ctx.code(),
            periods: PeriodChoice::from_periods(
                period,
                vec![Period::new(ctx.year, 2), Period::new(ctx.year, 1)],
            ),
            chrome,
            ctx,
            period,
            rights,
            pics,
            responsible_unit: responsible_unit.map(|u| u.1),
            pic_options,
            unit_options,
            status_options: status_options(&form.status),
            progress,
            form,
            form_errors: Vec::new(),
            conflict: None,
            evidence,
            evidence_error: None,
            link_url: String::new(),
            link_label: String::new(),
            max_upload_mb: state.config.max_upload_bytes / (1024 * 1024),
            current_review,
            reviews,
            review_errors: Vec::new(),
            review_verdict: String::new(),
            review_note: String::new(),
            history,
            deadline,
            conversation,
            resubmitted,
            resubmit_errors: Vec::new(),
            resubmit_note: String::new(),
            questions_text: crate::links::ids_text(
                &questions.iter().map(|(q, _)| *q).collect::<Vec<_>>(),
            ),
            questions,
            lke_year,
            questions_error: None,
        })
    }
}

pub(crate) async fn step_page(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Path(id): Path<String>,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let (ctx, rights) = load_step(&state, &user, &id).await?;
    let period = step_period(&state.db, &ctx, q.periode.as_deref()).await?;
    render(&StepPage::build(&state, chrome, ctx, rights, period).await?)
}
