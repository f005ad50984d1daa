//! The TrueType font that draws chart text.
//!
//! Plotters is built with its `ab_glyph` feature rather than `ttf`, so
//! building needs neither fontconfig nor freetype. The price is that
//! nothing finds a system font by itself: [`ensure_font`] loads one file
//! once per process. Plotters measures text with it (to place labels and
//! legends) under the family name `sans-serif`, which the SVG files name,
//! and resvg draws the PNG text with the same file. SVG viewers draw the
//! SVG text with their own sans-serif font.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use plotters::style::FontStyle;
use resvg::usvg::fontdb;

use crate::FontError;

/// Environment variable naming a `.ttf` file that overrides the search.
pub const FONT_ENV: &str = "AGRISALES_CHART_FONT";

/// Regular and bold DejaVu Sans in the places Linux distributions install
/// them (Debian and Ubuntu: `fonts-dejavu-core`; Fedora; Arch), then
/// Liberation Sans. DejaVu covers the accented letters of the data.
const CANDIDATES: [(&str, &str); 4] = [
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
];

/// The loaded chart font.
#[derive(Debug, Clone)]
pub struct ChartFont {
    /// The regular face's file.
    pub path: PathBuf,
    /// The faces, for resvg; `sans-serif` maps to the loaded family.
    pub(crate) database: Arc<fontdb::Database>,
}

static LOADED: OnceLock<Result<ChartFont, FontError>> = OnceLock::new();

/// Loads the chart font unless an earlier call did, and returns it.
///
/// [`FONT_ENV`] wins when set. The bold face is optional: without it,
/// titles use the regular face.
pub fn ensure_font() -> Result<ChartFont, FontError> {
    LOADED.get_or_init(load).clone()
}

fn load() -> Result<ChartFont, FontError> {
    let (regular, bold) = match std::env::var_os(FONT_ENV) {
        Some(path) => (PathBuf::from(path), None),
        None => {
            let found = CANDIDATES.iter().find(|(regular, _)| Path::new(regular).is_file());
            match found {
                Some((regular, bold)) => (PathBuf::from(regular), Some(PathBuf::from(bold))),
                None => {
                    let searched = CANDIDATES.iter().map(|(r, _)| *r).collect::<Vec<_>>().join(", ");
                    return Err(FontError::NotFound {
                        searched: format!("${FONT_ENV} (unset), {searched}"),
                    });
                }
            }
        }
    };

    let mut database = fontdb::Database::new();
    register_file(&regular, FontStyle::Normal, &mut database)?;
    if let Some(bold) = bold.filter(|b| b.is_file()) {
        register_file(&bold, FontStyle::Bold, &mut database)?;
    }
    let family = database
        .faces()
        .next()
        .and_then(|face| face.families.first())
        .map(|(name, _)| name.clone())
        .ok_or_else(|| FontError::Invalid {
            path: regular.clone(),
            reason: "the font has no family name".to_owned(),
        })?;
    database.set_sans_serif_family(family);
    tracing::debug!(font = %regular.display(), "chart font loaded");
    Ok(ChartFont {
        path: regular,
        database: Arc::new(database),
    })
}

fn register_file(path: &Path, style: FontStyle, database: &mut fontdb::Database) -> Result<(), FontError> {
    let invalid = |reason: String| FontError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| invalid(e.to_string()))?;
    database.load_font_data(bytes.clone());
    // Plotters keeps fonts for the whole process and wants 'static bytes;
    // this leaks at most two font files, once.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", style, bytes)
        .map_err(|_| invalid("not a TrueType or OpenType font".to_owned()))
}
