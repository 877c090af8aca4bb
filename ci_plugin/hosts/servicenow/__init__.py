"""ServiceNow through its Table API (``/api/now/table``): see :mod:`ci_plugin.hosts.servicenow.adapter`."""
