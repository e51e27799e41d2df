"""huiqi (惠企): policy-as-code for China's enterprise-support policies, starting with 宁波."""

__version__ = "0.1.0"
