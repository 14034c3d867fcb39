"""Fixed parameters of the synthetic world: zones, industries, departments, hazard coefficients.

Kept apart from the simulation so the generative model can be read (and documented) in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Industry:
    """Economic profile of a GB/T 4754 division, used to draw sizes and observed series."""

    code: str
    word: str  # used in generated names
    revenue_median: float  # annual revenue of a median firm, CNY
    rd_intensity: float  # R&D expense / revenue
    kwh_per_cny: float  # electricity intensity
    water_per_kwh: float
    gas_per_kwh: float
    vat_rate: float  # effective VAT payable / sales
    margin: float  # profit / revenue of a firm at health 0
    wage: float  # monthly contribution base per insured employee, CNY
    revenue_per_employee: float  # annual, CNY
    ip_rate: float  # invention applications per year of a median firm
    asset_turnover: float  # revenue / total assets
    leverage: float  # liabilities / assets at health 0
    trend: float  # drift of health per year (industry outlook)
    cycle_beta: float  # sensitivity to the macro cycle
    industrial: bool = False
    small_trade: bool = False  # individual businesses and cooperatives occur here


# fmt: off
# code, name word, revenue median, R&D, kWh/CNY, water/kWh, gas/kWh, VAT, margin, wage,
# revenue/employee, IP rate, asset turnover, leverage, trend, cycle beta
INDUSTRIES: dict[str, Industry] = {
    i.code: i
    for i in (
        Industry("C36", "汽车零部件", 9e6, 0.03, 0.09, 0.004, 0.02, 0.035, 0.05,
                 8000, 9e5, 0.6, 0.9, 0.6, -0.05, 1.0, industrial=True),
        Industry("C39", "电子科技", 8e6, 0.05, 0.07, 0.005, 0.01, 0.035, 0.06,
                 8500, 8e5, 1.0, 1.0, 0.55, 0.02, 1.0, industrial=True),
        Industry("C27", "医药", 7e6, 0.07, 0.06, 0.01, 0.03, 0.045, 0.1,
                 9000, 8e5, 1.2, 0.7, 0.45, 0.03, 0.6, industrial=True),
        Industry("C37", "航空装备", 1.2e7, 0.05, 0.06, 0.004, 0.02, 0.035, 0.06,
                 10000, 1.1e6, 1.0, 0.6, 0.6, 0.03, 0.8, industrial=True),
        Industry("C38", "新能源装备", 8e6, 0.04, 0.08, 0.004, 0.01, 0.035, 0.06,
                 8500, 9e5, 0.8, 0.9, 0.6, 0.1, 0.9, industrial=True),
        Industry("D44", "新能源电力", 1e7, 0.01, 0.02, 0.002, 0.0, 0.06, 0.12,
                 9000, 3e6, 0.2, 0.2, 0.7, 0.08, 0.5, industrial=True),
        Industry("M73", "生物科技研发", 2e6, 0.3, 0.03, 0.006, 0.0, 0.04, 0.02,
                 11000, 5e5, 1.5, 0.8, 0.4, 0.03, 0.7),
        Industry("I65", "软件信息技术", 3e6, 0.12, 0.01, 0.001, 0.0, 0.03, 0.08,
                 12000, 6e5, 0.5, 1.3, 0.45, 0.03, 0.5),
        Industry("J66", "金融服务", 2e7, 0.01, 0.005, 0.001, 0.0, 0.04, 0.2,
                 15000, 4e6, 0.02, 0.1, 0.85, 0.0, 0.6),
        Industry("L71", "融资租赁", 1.5e7, 0.0, 0.002, 0.001, 0.0, 0.05, 0.15,
                 14000, 8e6, 0.0, 0.1, 0.85, 0.0, 0.7),
        Industry("G58", "国际物流", 4e6, 0.0, 0.02, 0.002, 0.0, 0.03, 0.04,
                 7500, 1e6, 0.02, 1.5, 0.6, 0.0, 1.1),
        Industry("L72", "商务服务", 1.5e6, 0.01, 0.01, 0.002, 0.0, 0.03, 0.06,
                 7500, 5e5, 0.02, 1.2, 0.55, 0.0, 1.0, small_trade=True),
        Industry("F51", "商贸", 5e6, 0.0, 0.005, 0.001, 0.0, 0.015, 0.03,
                 6500, 2e6, 0.01, 2.0, 0.65, -0.02, 1.0, small_trade=True),
        Industry("F52", "零售", 1.2e6, 0.0, 0.02, 0.003, 0.0, 0.02, 0.03,
                 5500, 6e5, 0.0, 2.0, 0.6, -0.03, 1.1, small_trade=True),
        Industry("H62", "餐饮管理", 1e6, 0.0, 0.04, 0.03, 0.05, 0.03, 0.05,
                 5000, 3e5, 0.0, 1.6, 0.6, -0.02, 1.4, small_trade=True),
        Industry("E47", "绿色建筑", 8e6, 0.02, 0.01, 0.008, 0.0, 0.04, 0.04,
                 7500, 1.2e6, 0.3, 0.8, 0.75, -0.08, 1.2),
        Industry("M74", "节能环保技术", 2e6, 0.06, 0.01, 0.002, 0.0, 0.03, 0.07,
                 10000, 6e5, 0.4, 1.0, 0.5, 0.03, 0.7, small_trade=True),
        Industry("K70", "房地产开发", 1.5e7, 0.0, 0.005, 0.002, 0.0, 0.05, 0.08,
                 9000, 5e6, 0.0, 0.2, 0.8, -0.12, 1.2),
    )
}
# fmt: on

INDUSTRY_CODES = tuple(INDUSTRIES)

# Share of enterprises per zone, and each zone's industry mix (weights sum to 1).
ZONE_SHARES = {"teda": 0.30, "bonded": 0.14, "hitech": 0.22, "dongjiang": 0.14, "ecocity": 0.20}
ZONE_MIX: dict[str, dict[str, float]] = {
    "teda": {
        "C36": 0.22,
        "C39": 0.18,
        "C27": 0.12,
        "C38": 0.05,
        "I65": 0.08,
        "F51": 0.12,
        "L72": 0.12,
        "M73": 0.04,
        "H62": 0.04,
        "E47": 0.03,
    },
    "bonded": {
        "C37": 0.20,
        "C27": 0.15,
        "M73": 0.12,
        "F51": 0.18,
        "G58": 0.10,
        "L72": 0.12,
        "I65": 0.05,
        "L71": 0.08,
    },
    "hitech": {
        "I65": 0.35,
        "C38": 0.12,
        "D44": 0.06,
        "M73": 0.12,
        "C39": 0.08,
        "L72": 0.12,
        "M74": 0.08,
        "F51": 0.07,
    },
    "dongjiang": {"J66": 0.20, "L71": 0.35, "G58": 0.15, "F51": 0.12, "L72": 0.13, "H62": 0.05},
    "ecocity": {
        "L72": 0.20,
        "F51": 0.12,
        "H62": 0.12,
        "E47": 0.14,
        "M74": 0.12,
        "F52": 0.12,
        "I65": 0.10,
        "K70": 0.08,
    },
}
ZONE_FOUNDED_DAY = {  # epoch days of each zone's founding; no enterprise there is older
    code: int(np.datetime64(day, "D").astype(np.int64))
    for code, day in (
        ("teda", "1984-12-06"),
        ("bonded", "1991-05-12"),
        ("hitech", "1988-05-01"),
        ("dongjiang", "2006-08-31"),
        ("ecocity", "2008-09-28"),
    )
}
ZONE_TREND = {"teda": -0.02, "bonded": 0.01, "hitech": 0.03, "dongjiang": 0.0, "ecocity": 0.02}

# Deciding departments; index 0..n-1 is stored in the simulation, names written to the source.
DEPARTMENTS = (
    "天津市滨海新区市场监督管理局",
    "国家税务总局天津市滨海新区税务局",
    "天津市滨海新区生态环境局",
    "天津市滨海新区应急管理局",
    "天津市滨海新区人力资源和社会保障局",
    "天津海关",
    "天津市滨海新区城市管理委员会",
    "天津市滨海新区人民法院",
    "天津市滨海新区发展和改革委员会",
)
DEPT_MARKET, DEPT_TAX, DEPT_COURT, DEPT_DRC = 0, 1, 7, 8
PENALTY_DEPT_WEIGHTS = np.array([0.33, 0.22, 0.12, 0.10, 0.10, 0.06, 0.07, 0.0, 0.0])

# Credit-record kinds and severities by index into data.contracts tuples.
K_PENALTY, K_ABNORMAL, K_DISHONESTY, K_JUDGMENT, K_COMMIT, K_BREACH, K_HONOR = range(7)
S_MINOR, S_GENERAL, S_SERIOUS = range(3)

# Latent dynamics.
RHO = 0.90  # AR(1) persistence of the health deviation
SIGMA = 0.25  # monthly innovation of the health deviation
JUMP_PROB, JUMP_SIZE = 0.004, 1.5  # rare idiosyncratic shocks (a lost customer, a fire)
ENTRY_RATE = 0.30 / 48  # share of enterprises founded per simulated month
BURN_IN = 24  # months simulated before the window so stock enterprises carry a history

# Monthly hazards of credit events: sum of terms coef * exp(b_g*g) * exp(a_h*h); see docs.
# name -> (coef operating, coef dormant, b_g, a_h)
HAZARDS: dict[str, tuple[float, float, float, float]] = {
    "penalty_general": (0.0004, 0.00015, -0.9, -0.6),
    "penalty_serious": (0.00006, 0.00003, -1.6, -0.5),
    "judgment": (0.00006, 0.00015, -0.7, -1.8),
    "dishonesty": (0.00002, 0.00002, -1.8, -0.8),
    "ss_start": (0.0007, 0.0, -0.5, -1.5),
    "ut_start": (0.0006, 0.0015, -0.4, -1.3),
    "tax_start": (0.0005, 0.0, -0.6, -1.4),
}
# Annual-report failure listed each July: logit = a + b_g*g + a_h*h (+ dormant shift).
ABNORMAL_JULY = (-6.2, -1.0, -0.6, 3.6)
ABNORMAL_UNREACHABLE = 0.004  # monthly, dormant enterprises not found at their address

# Dormancy and exit (monthly).
DORMANCY_BASE, DORMANCY_DISTRESS, DORMANCY_SLOPE, DORMANCY_KNEE = 0.0012, 0.035, 2.5, -1.6
REVIVAL = 0.03
EXIT_OPERATING = 0.0008
EXIT_DORMANT_DEREGISTER, EXIT_DORMANT_REVOKE = 0.035, 0.006
ZOMBIE_SHARE = 0.15
NONFILER_SHARE = 0.25

# Resolution hazards (monthly, operating / dormant) with integrity and health slopes.
REPAIR = {
    "general": (0.12, 0.003, 0.6, 0.3),
    "serious": (0.06, 0.002, 0.6, 0.3),
    "abnormal": (0.15, 0.01, 0.5, 0.5),
    "judgment": (0.05, 0.004, 0.0, 0.8),
}
ESCALATION_MONTHS = 36
GRADE_BASE = 82.0  # tax-credit points of an average firm before deductions

ABOVE_SCALE_REVENUE = 2e7  # CNY per year
SPRING_FESTIVAL_MONTH = {
    2020: 1,
    2021: 2,
    2022: 2,
    2023: 1,
    2024: 2,
    2025: 1,
    2026: 2,
    2027: 2,
    2028: 1,
    2029: 2,
    2030: 2,
    2031: 1,
    2032: 2,
    2033: 1,
    2034: 2,
    2035: 2,
}
# Electricity by calendar month: Spring Festival dip, summer cooling peak, mild winter heating.
ELECTRICITY_SEASON = np.array([0.93, 0.90, 0.99, 0.97, 1.00, 1.07, 1.17, 1.19, 1.05, 0.97, 0.98, 1.04])
SPRING_FESTIVAL_DIP = 0.82
GAS_SEASON = np.array([1.6, 1.5, 1.2, 0.9, 0.7, 0.6, 0.6, 0.6, 0.7, 0.9, 1.3, 1.6])
