"""Synthetic but realistic offers and briefs for the benchmark (deterministic per seed).

Texts are assembled from a small marketplace vocabulary (services x niches x tools), so
nearest neighbours are meaningful, unlike random vectors, which would make HNSW look worse
(uniform high-dimensional data) and lexical postings look unrealistically short.
"""

from __future__ import annotations

import random

from ml.text import Document, Query

SERVICES = [
    ("logo design", "design a memorable logo and brand identity", ["Adobe Illustrator", "Figma"]),
    (
        "product photography",
        "shoot clean product photos on white background",
        ["Adobe Lightroom", "Photoshop"],
    ),
    (
        "wedding videography",
        "film and edit your wedding highlight video",
        ["Premiere Pro", "DaVinci Resolve"],
    ),
    ("podcast editing", "edit, mix and master podcast episodes", ["Audacity", "Adobe Audition"]),
    ("voice over", "record a warm professional voice over", ["Pro Tools", "Audacity"]),
    ("web development", "build a fast responsive website", ["React", "Django", "WordPress"]),
    ("mobile app development", "develop an iOS and Android app", ["Flutter", "Swift", "Kotlin"]),
    ("data analysis", "analyse your data and build dashboards", ["Python", "SQL", "Tableau"]),
    ("copywriting", "write persuasive copy for landing pages and ads", ["Google Docs"]),
    ("blog writing", "write SEO-friendly blog articles", ["WordPress", "Surfer SEO"]),
    ("social media management", "plan and publish content on social media", ["Buffer", "Canva"]),
    (
        "sponsored instagram post",
        "promote your brand in a sponsored Instagram post",
        ["Instagram", "Canva"],
    ),
    (
        "tiktok video",
        "create a short-form TikTok video featuring your product",
        ["CapCut", "TikTok"],
    ),
    (
        "illustration",
        "draw custom illustrations for books and games",
        ["Procreate", "Adobe Illustrator"],
    ),
    ("3d modelling", "model and render 3D product visuals", ["Blender", "Cinema 4D"]),
    (
        "motion graphics",
        "animate explainer videos and motion graphics",
        ["After Effects", "Lottie"],
    ),
    (
        "music production",
        "compose and produce original music tracks",
        ["Ableton Live", "FL Studio"],
    ),
    ("translation", "translate documents between English and Spanish", ["Trados", "DeepL"]),
    ("bookkeeping", "keep your books and reconcile accounts", ["QuickBooks", "Xero"]),
    (
        "seo audit",
        "audit your website and improve search rankings",
        ["Ahrefs", "Google Search Console"],
    ),
    ("ux research", "run user interviews and usability tests", ["Figma", "Maze"]),
    ("stock photos", "license a pack of high-resolution stock photos", ["Adobe Lightroom"]),
    ("email marketing", "set up email campaigns and automations", ["Mailchimp", "Klaviyo"]),
    (
        "video editing",
        "edit YouTube videos with captions and color grading",
        ["Premiere Pro", "Final Cut Pro"],
    ),
]
NICHES = [
    "coffee shops",
    "fitness brands",
    "startups",
    "restaurants",
    "real estate agents",
    "fashion labels",
    "nonprofits",
    "dentists",
    "online courses",
    "game studios",
    "craft breweries",
    "yoga teachers",
    "law firms",
    "pet stores",
    "travel agencies",
    "bakeries",
    "SaaS companies",
    "musicians",
    "hotels",
    "e-commerce shops",
]
STYLES = ["minimalist", "playful", "luxury", "bold", "vintage", "corporate", "friendly", "modern"]
DELIVERABLES = [
    "source files included",
    "two revisions",
    "delivered in 48 hours",
    "commercial license",
    "weekly report",
    "unlimited revisions",
    "raw footage",
    "print-ready files",
]


def offers(n: int, seed: int = 0, start_id: int = 1) -> list[Document]:
    """``n`` synthetic offers, ~3 per creator, each with one package text (extra)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        name, verb, tools = rng.choice(SERVICES)
        niche, style = rng.choice(NICHES), rng.choice(STYLES)
        title = f"{style.capitalize()} {name} for {niche}"
        desc = (
            f"I {verb} for {niche}. {style.capitalize()} style, "
            f"{rng.choice(DELIVERABLES)} and {rng.choice(DELIVERABLES)}."
        )
        package = (
            f"{rng.choice(['Basic', 'Standard', 'Premium'])} package: {verb}, "
            f"{rng.choice(DELIVERABLES)}"
        )
        out.append(
            Document(
                id=start_id + i,
                title=title,
                description=desc,
                skills=tuple(rng.sample(tools, k=min(2, len(tools)))),
                kind="media"
                if "stock" in name
                else "influencer"
                if "sponsored" in name or "tiktok" in name
                else "service",
                owner_id=(start_id + i) // 3,
                extra=(package,),
            )
        )
    return out


def briefs(n: int, seed: int = 1) -> list[Query]:
    """``n`` synthetic buyer briefs phrased differently from the offers."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        name, verb, tools = rng.choice(SERVICES)
        niche = rng.choice(NICHES)
        singular = niche[:-1] if niche.endswith("s") else niche
        out.append(
            Query(
                title=f"Need {name} for our {singular}",
                description=f"We are looking for someone to {verb}. "
                f"{rng.choice(STYLES).capitalize()} look preferred.",
                skills=(rng.choice(tools),),
            )
        )
    return out
