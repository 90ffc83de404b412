"""The arrays of the numpy scoring rules: ``factor``, ``item_item``, ``neighborhood``.

Each builder reads a fitted model and returns the arrays (and the ``kind``) of
its rule, as documented in ``docs/serving.rst``; nothing here writes files.
The arrays are the model's own numbers, taken through the model's own
methods where it has them, so that the rule gives the scores ``recommend``
ranks by.
"""

import numpy as np

from ..baselines import BaselineRegressor, PopularityRecommender
from ..factorization import BPRRecommender, MatrixFactorization
from ..factorization._mf import check_pick_model
from ..utils._relevance import PICK_EXPONENT, mean_ratings
from ..utils._vocabulary import UNKNOWN

_NO_CLIP = (-np.inf, np.inf)


def _factor_rule(
    *,
    user_factors,
    item_factors,
    fallback_user_factors,
    user_bias,
    item_bias,
    global_offset,
    rating_range=_NO_CLIP,
    relevance_of=None,
):
    """The ``factor`` rule's arrays; ``relevance_of`` is the model whose
    relevance statistics rank the ratings (None: rank by them)."""
    arrays = {
        "kind": np.str_("factor"),
        "user_factors": np.ascontiguousarray(user_factors),
        "item_factors": np.ascontiguousarray(item_factors),
        "fallback_user_factors": np.asarray(fallback_user_factors),
        "user_bias": np.asarray(user_bias, dtype=np.float64),
        "item_bias": np.asarray(item_bias, dtype=np.float64),
        "global_offset": np.float64(global_offset),
        "rating_range": np.asarray(rating_range, dtype=np.float64),
    }
    arrays.update(_ranking_arrays(relevance_of))
    return arrays


def _ranking_arrays(model):
    """``ranking`` and, for relevance ranking, the statistics it reads
    (:mod:`sklearn_attnrec.utils._relevance`)."""
    if model is None:
        return {"ranking": np.str_("score")}
    stats = model._relevance_stats_
    return {
        "ranking": np.str_("relevance"),
        "item_popularity": np.asarray(stats.popularity, dtype=np.float64),
        "user_mean": mean_ratings(model.user_items_, stats.mean),
        "fallback_user_mean": np.float64(stats.mean),
        "rating_std": np.float64(stats.std),
    }


def _no_factors(model):
    n_users, n_items = model.user_items_.shape
    return {
        "user_factors": np.zeros((n_users, 0)),
        "item_factors": np.zeros((n_items, 0)),
        "fallback_user_factors": np.zeros(0),
    }


def baseline_factors(model):
    """BaselineRegressor: ``μ + b_u + b_i``, no factors."""
    return _factor_rule(
        **_no_factors(model),
        user_bias=model.user_bias_,
        item_bias=model.item_bias_,
        global_offset=model.global_mean_,
        rating_range=model.rating_range_ if model.clip else _NO_CLIP,
        relevance_of=model if model.ranking == "relevance" else None,
    )


def popularity_factors(model):
    """PopularityRecommender: every user scores ``item_popularity_``."""
    n_users = len(model.user_ids_)
    return _factor_rule(
        **_no_factors(model),
        user_bias=np.zeros(n_users),
        item_bias=model.item_popularity_,
        global_offset=0.0,
    )


def factorization_factors(model):
    """MatrixFactorization: ``μ + b_u + b_i + p_u·q_i``; explicit feedback
    clips and (by default) ranks by relevance."""
    users = np.arange(len(model.user_ids_))
    vectors, bias = model._user_vectors(users)
    fallback, _ = model._user_vectors(np.array([UNKNOWN]))
    explicit = model.feedback == "explicit"
    relevance = explicit and model.ranking == "relevance"
    arrays = _factor_rule(
        user_factors=vectors,
        item_factors=model.item_factors_.astype(np.float64),
        fallback_user_factors=fallback[0],
        user_bias=bias,
        item_bias=model.item_bias_,
        global_offset=model.global_mean_,
        rating_range=model.rating_range_ if explicit and model.clip else _NO_CLIP,
        relevance_of=model if relevance else None,
    )
    if relevance:
        arrays.update(pick_arrays(model))
    return arrays


def pick_arrays(model):
    """``P(u picks i)`` of a rating model ranked with a ``pick_model_``: the
    pick model's own ``factor`` arrays (prefix ``pick_``) and the exponent."""
    pick = check_pick_model(model)
    if pick is None:  # popularity estimates picking (item_popularity)
        return {}
    pick = factorization_factors(pick)
    arrays = {f"pick_{k}": v for k, v in pick.items() if k not in ("kind", "ranking")}
    arrays["pick_exponent"] = np.float64(PICK_EXPONENT)
    return arrays


def relevance_arrays(model):
    """``ranking`` and what relevance ranking reads, for a model whose scores
    come from elsewhere (a torch program); ``ranking = "score"`` without it."""
    if model.feedback == "implicit" or model.ranking == "rating":
        return _ranking_arrays(None)
    return {**_ranking_arrays(model), **pick_arrays(model)}


def bpr_factors(model):
    """BPRRecommender: ``p_u·q_i + b_i``."""
    users = np.arange(len(model.user_ids_))
    return _factor_rule(
        user_factors=model._user_vectors(users),
        item_factors=model.item_factors_.astype(np.float64),
        fallback_user_factors=model._user_vectors(np.array([UNKNOWN]))[0],
        user_bias=np.zeros(len(users)),
        item_bias=model.item_bias_,
        global_offset=0.0,
    )


def two_tower_factors(model):
    """TwoTowerRetriever: the towers' vectors, ``u·v`` in float32 (the exact
    ranking of its ``index="exact"``), items added with ``add_items`` after
    the fitted ones."""
    users = np.arange(len(model.user_ids_))
    items = model.item_vectors_
    item_ids = model.item_ids_
    if len(model.new_item_ids_):
        items = np.vstack([items, model.new_item_vectors_])
        item_ids = np.concatenate(
            [item_ids.astype(object), model.new_item_ids_.astype(object)]
        )
    return {
        **_factor_rule(
            user_factors=model._vectors("user", users).astype(np.float32),
            item_factors=items.astype(np.float32),
            fallback_user_factors=model._vectors("user", np.array([UNKNOWN]))[0],
            user_bias=np.zeros(len(users)),
            item_bias=np.zeros(len(items)),
            global_offset=0.0,
        ),
        "item_ids": item_ids,
    }


def ease_weights(model):
    """EASE: ``x_u B`` in float32, popularity for unknown users."""
    return {
        "kind": np.str_("item_item"),
        "weights": np.ascontiguousarray(model.coef_),
        "fallback_scores": np.asarray(model.item_popularity_, dtype=np.float64),
    }


def item_knn_weights(model):
    """ItemKNNRecommender: ``r_u S`` with the sparse neighbour similarities."""
    S = model.similarity_.tocsr()
    return {
        "kind": np.str_("item_item"),
        "weights_indptr": S.indptr.astype(np.int64),
        "weights_indices": S.indices.astype(np.int64),
        "weights_data": S.data.astype(np.float64),
        "fallback_scores": np.asarray(model.item_popularity_, dtype=np.float64),
    }


# Baselines of the neighbourhood models whose item scores the factor rule gives.
_BASELINE_BUILDERS = {
    BaselineRegressor: baseline_factors,
    MatrixFactorization: factorization_factors,
    BPRRecommender: bpr_factors,
    PopularityRecommender: popularity_factors,
}


def _baseline_arrays(model):
    """The ``factor`` arrays of a neighbourhood model's ``baseline_``, with the
    prefix ``baseline_``."""
    baseline = model.baseline_
    builder = _BASELINE_BUILDERS.get(type(baseline))
    arrays = None if builder is None else builder(baseline)
    if arrays is None or str(arrays["ranking"]) != "score":
        raise NotImplementedError(
            f"{type(model).__name__} with baseline={type(baseline).__name__} "
            "cannot be exported: only a baseline whose item scores are a factor "
            "rule can (BaselineRegressor, the default, MatrixFactorization, "
            "BPRRecommender or PopularityRecommender); refit with one of them, "
            "or serve the model by pickling it"
        )
    keep = (
        "user_factors",
        "item_factors",
        "fallback_user_factors",
        "user_bias",
        "item_bias",
        "global_offset",
        "rating_range",
    )
    return {f"baseline_{name}": arrays[name] for name in keep}


def neighborhood_arrays(model):
    """ItemKNNRegressor and UserKNNRegressor: the baseline plus the
    similarity-weighted mean of the neighbours' residuals, each neighbourhood
    fixed at fit (``neighbors_``)."""
    seen = model.user_items_.tocsr(copy=True)
    seen.sort_indices()  # aligned with the seen_* arrays of the file
    residuals = model._centred(seen, model._center_mode)
    # The operator of ranking, entries in the model's order: item side
    # num[u] = res[u] @ N, user side num[u] = N[u] @ res.
    N = model._neighbor_operators()[0]
    centre = {"baseline": "baseline", "entity_mean": "mean", None: "none"}[
        model._center_mode
    ]
    arrays = {
        "kind": np.str_("neighborhood"),
        "side": np.str_(model._entity),
        "neighbors_indptr": N.indptr.astype(np.int64),
        "neighbors_indices": N.indices.astype(np.int64),
        "neighbors_data": N.data.astype(np.float64),
        "residual_data": np.asarray(residuals.data, dtype=np.float64),
        "centre": np.str_(centre),
        "min_neighbors": np.int64(max(model.min_neighbors, 1)),
        "rating_range": np.asarray(
            model.rating_range_ if model.clip else _NO_CLIP, dtype=np.float64
        ),
        **_baseline_arrays(model),
        **_ranking_arrays(model if model.ranking == "relevance" else None),
    }
    if centre == "mean":
        arrays["centre_mean"] = np.asarray(model._means("entity_mean"), np.float64)
    if model.ranking == "relevance":
        arrays["popularity_prior"] = np.float64(model._popularity_prior)
    return arrays
