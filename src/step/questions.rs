//! The LKE questions a step serves, set on the step page by an admin.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::error::AppResult;
use crate::links::{check_ids, parse_ids, set_step_questions};
use crate::web::{Acting, Chrome, Form, render_status};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepQuestionsInput {
    pub(crate) soal: String,
    pub(crate) periode: String,
}

pub(crate) async fn set_from_step(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Path(id): Path<String>,
    Form(input): Form<StepQuestionsInput>,
) -> AppResult<Response> {
    let (ctx, rights) = crate::step::load_step(&state, &user, &id).await?;
    let period = crate::step::step_period(&state.db, &ctx, Some(&input.periode)).await?;
    let mut tx = crate::db::write(&state.db).await?;
    let checked = match parse_ids(&input.soal) {
        Ok(ids) => check_ids(&mut tx, ctx.year, &ids).await?.map(|()| ids),
        Err(m) => Err(m),
    };
    let ids = match checked {
        Ok(ids) => ids,
        Err(m) => {
            tx.rollback().await?;
            let mut page =
                crate::step::StepPage::build(&state, chrome, ctx, rights, period).await?;
            page.questions_text = input.soal.clone();
            page.questions_error = Some(format!("Soal LKE: {m}."));
            return render_status(StatusCode::BAD_REQUEST, &page);
        }
    };
    let before: Vec<i64> = sqlx::query_scalar(
        "SELECT question_id FROM lke_step_questions WHERE step_id = ? ORDER BY question_id",
    )
    .bind(ctx.id)
    .fetch_all(&mut *tx)
    .await?;
    set_step_questions(&mut tx, ctx.id, ctx.year, &ids).await?;
    tx.commit(
        &actor,
        Entry::new(
            Action::TargetEdited,
            format!("Soal LKE yang dilayani langkah {} diatur", ctx.code()),
        )
        .object(crate::audit::Object::Step, ctx.id)
        .change(json!({"soal": before}), json!({"soal": ids})),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/langkah/{}?periode={}&pesan=langkah-soal-disimpan#soal-h",
        ctx.id,
        period.key()
    ))
    .into_response())
}
