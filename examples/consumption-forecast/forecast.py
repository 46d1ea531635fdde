"""Synthetic hourly grid load for four regions, a day-ahead forecaster, its fallback and reconciliation.

Everything here is deterministic given the seeds in :data:`SEEDS`; ``build_evidence.py`` turns
the results into evidence bundles. No file I/O in this module.

The data are synthetic (no real grid operator's data): load = regional base x (daily profile by
hour and day type + a slow yearly swing) + heating load below 15 °C + cooling load above 20 °C +
AR(1) noise, each region with its own base, temperature sensitivity and climate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

SEEDS = {"weather": 11, "load_noise": 12, "weather_forecast": 13, "model": 14, "runs": 15}

START = "2023-01-02 00:00"          # a Monday
END = "2024-12-31 23:00"
TEST_START = "2024-10-01 00:00"     # the last 92 days are the hold-out test period

#: region → (base MW, heating MW per °C below 15, cooling MW per °C above 20, mean °C, yearly amplitude °C)
REGIONS: dict[str, tuple[float, float, float, float, float]] = {
    "north": (1800.0, 38.0, 6.0, 7.5, 9.0),    # electric heating: the most temperature-sensitive in winter
    "east": (1400.0, 20.0, 10.0, 9.5, 10.0),
    "south": (2600.0, 12.0, 45.0, 15.0, 8.0),  # air conditioning
    "west": (2100.0, 18.0, 12.0, 11.0, 6.5),
}
HEAT_BELOW_C = 15.0
COOL_ABOVE_C = 20.0

FEATURES_FULL = ["hour", "dow", "weekend", "doy_sin", "doy_cos", "temp_fc", "hdd", "cdd", "lag_48", "lag_168"]
FEATURES_NO_WEATHER = ["hour", "dow", "weekend", "doy_sin", "doy_cos", "lag_48", "lag_168"]
HGB_PARAMS = {"max_iter": 300, "learning_rate": 0.05, "max_leaf_nodes": 31, "min_samples_leaf": 40,
              "l2_regularization": 1.0, "early_stopping": False}


def _daily_profile(hour: np.ndarray, weekend: np.ndarray) -> np.ndarray:
    """Share of base load by hour: night trough, morning ramp, evening peak; weekends flatter and lower."""
    h = hour.astype(float)
    workday = (0.78 + 0.16 * np.exp(-((h - 9.0) / 2.5) ** 2) + 0.24 * np.exp(-((h - 19.0) / 2.2) ** 2)
               + 0.08 * ((h >= 7) & (h <= 18)))
    weekend_shape = 0.76 + 0.10 * np.exp(-((h - 12.0) / 3.5) ** 2) + 0.20 * np.exp(-((h - 19.5) / 2.2) ** 2)
    return np.where(weekend, weekend_shape, workday)


def generate_history() -> pd.DataFrame:
    """Long table: timestamp, region, temp (observed), temp_fc (day-ahead forecast), load_mw."""
    index = pd.date_range(START, END, freq="h")
    n = len(index)
    hour = index.hour.to_numpy()
    dow = index.dayofweek.to_numpy()
    doy = index.dayofyear.to_numpy()
    weekend = dow >= 5
    days = (index.normalize() - index[0].normalize()).days.to_numpy()
    n_days = int(days.max()) + 1
    rng_w = np.random.default_rng(SEEDS["weather"])
    rng_l = np.random.default_rng(SEEDS["load_noise"])
    rng_f = np.random.default_rng(SEEDS["weather_forecast"])
    # a shared synoptic weather anomaly (daily AR(1)) plus a regional one
    shared = np.zeros(n_days)
    shocks = rng_w.normal(0.0, 1.6, n_days)
    for d in range(1, n_days):
        shared[d] = 0.8 * shared[d - 1] + shocks[d]
    frames = []
    for region, (base, heat, cool, mean_c, amp_c) in REGIONS.items():
        local = np.zeros(n_days)
        local_shocks = rng_w.normal(0.0, 1.0, n_days)
        for d in range(1, n_days):
            local[d] = 0.7 * local[d - 1] + local_shocks[d]
        seasonal = mean_c - amp_c * np.cos(2 * np.pi * (doy - 20) / 365.25)
        diurnal = 4.0 * np.sin(2 * np.pi * (hour - 9) / 24)
        temp = seasonal + diurnal + shared[days] + local[days] + rng_w.normal(0.0, 0.6, n)
        temp_fc = temp + rng_f.normal(0.0, 1.0, n)  # day-ahead weather forecast error
        noise = np.zeros(n)
        eps = rng_l.normal(0.0, 0.012, n)
        for i in range(1, n):
            noise[i] = 0.9 * noise[i - 1] + eps[i]
        yearly = 0.03 * np.cos(2 * np.pi * (doy - 15) / 365.25)
        load = (base * (_daily_profile(hour, weekend) + yearly) + heat * np.maximum(HEAT_BELOW_C - temp, 0)
                + cool * np.maximum(temp - COOL_ABOVE_C, 0)) * (1 + noise)
        frames.append(pd.DataFrame({"timestamp": index, "region": region, "temp": temp, "temp_fc": temp_fc,
                                    "load_mw": load}))
    return pd.concat(frames, ignore_index=True)


def features(series: pd.DataFrame) -> pd.DataFrame:
    """Calendar, weather-forecast and lag features of one series (one region, or the national total).

    Day-ahead: the forecast for day D is issued on D-1 at 08:00, so the latest observed load is
    D-1 07:00 and every lag must be at least 41 hours: lag 48 h (same hour two days before) and
    lag 168 h (same hour one week before).
    """
    ts = series["timestamp"]
    doy = ts.dt.dayofyear.to_numpy()
    out = pd.DataFrame({
        "timestamp": ts.to_numpy(),
        "hour": ts.dt.hour.to_numpy(),
        "dow": ts.dt.dayofweek.to_numpy(),
        "weekend": (ts.dt.dayofweek >= 5).astype(int).to_numpy(),
        "doy_sin": np.sin(2 * np.pi * doy / 365.25),
        "doy_cos": np.cos(2 * np.pi * doy / 365.25),
        "temp_fc": series["temp_fc"].to_numpy(),
        "hdd": np.maximum(HEAT_BELOW_C - series["temp_fc"].to_numpy(), 0),
        "cdd": np.maximum(series["temp_fc"].to_numpy() - COOL_ABOVE_C, 0),
        "lag_48": series["load_mw"].shift(48).to_numpy(),
        "lag_168": series["load_mw"].shift(168).to_numpy(),
        "load_mw": series["load_mw"].to_numpy(),
    })
    return out.iloc[168:].reset_index(drop=True)


def series_by_node(history: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each region's series and the national one (sum of loads, load-weighted forecast temperature)."""
    out = {}
    for region in REGIONS:
        out[region] = history[history.region == region].sort_values("timestamp").reset_index(drop=True)
    wide_load = history.pivot(index="timestamp", columns="region", values="load_mw")
    wide_temp = history.pivot(index="timestamp", columns="region", values="temp_fc")
    weights = np.array([REGIONS[r][0] for r in wide_load.columns])
    out["national"] = pd.DataFrame({
        "timestamp": wide_load.index,
        "temp_fc": (wide_temp.to_numpy() * weights).sum(axis=1) / weights.sum(),
        "load_mw": wide_load.sum(axis=1).to_numpy(),
    }).reset_index(drop=True)
    return out


@dataclass
class NodeForecast:
    test: pd.DataFrame          # timestamp, load_mw, base_forecast_mw, fallback_mw
    fit_seconds: float


def fit_and_forecast(series: pd.DataFrame, feature_names: list[str], seed: int) -> NodeForecast:
    """Train on everything before TEST_START, forecast the test period; fallback = seasonal naive (lag 168 h)."""
    frame = features(series)
    train = frame[frame.timestamp < pd.Timestamp(TEST_START)]
    test = frame[frame.timestamp >= pd.Timestamp(TEST_START)]
    model = HistGradientBoostingRegressor(random_state=seed, **HGB_PARAMS)
    started = time.perf_counter()
    model.fit(train[feature_names].to_numpy(), train["load_mw"].to_numpy())
    fit_seconds = time.perf_counter() - started
    prediction = model.predict(test[feature_names].to_numpy())
    return NodeForecast(pd.DataFrame({"timestamp": test.timestamp.to_numpy(), "load_mw": test.load_mw.to_numpy(),
                                      "base_forecast_mw": prediction, "fallback_mw": test.lag_168.to_numpy()}),
                        fit_seconds)


NODES = ["national", *REGIONS]  # order of the summing matrix rows


def summing_matrix() -> np.ndarray:
    """S (5 x 4): national = sum of the regions; each region is itself."""
    k = len(REGIONS)
    return np.vstack([np.ones((1, k)), np.eye(k)])


def reconcile_ols(base: np.ndarray) -> np.ndarray:
    """OLS reconciliation (Hyndman et al. 2011): y~ = S (S'S)^-1 S' y^, rows = time, columns = NODES.

    The result is coherent by construction: national = sum of regions (up to float rounding).
    """
    s = summing_matrix()
    projection = s @ np.linalg.solve(s.T @ s, s.T)
    return base @ projection.T


def mape(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(np.abs(y - p) / np.abs(y)))
